"""Every activity is a prescription (issue 11, item 2): plan_create stores the phase's
activities as prescriptions, and the PDF and the runner's page show each with its how-to."""

import html
import io
import re

import pypdf
import pytest
from django.urls import reverse

from rehab import engine
from rehab.models import Prescription
from rehab.pdf import render_plan_html, render_plan_pdf
from rehab.selectors import progression_proposals
from rehab.services import plan_advance_phase, session_log_create
from tests.rehab_factories import plan_for

ACTIVITIES = {
    "proximal_hamstring_tendinopathy": ["morning_bridge_check", "sitting_care"],
    "hamstring_strain": ["askling_extender_slow"],
    "lumbar_referred_pain": ["repeated_back_movement", "nerve_slider_seated", "back_care_active"],
    "deep_gluteal_syndrome": ["sitting_care", "nerve_slider_seated", "hip_side_lying_abduction"],
    "hip_joint_referred_pain": ["hip_side_lying_abduction"],
    "bone_stress_injury": ["bone_offload_crutches"],
    "distal_hamstring_tendinopathy": ["knee_bend_hold_seated"],
}


def squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def strain_plan(patient, alice, phase=1):
    return plan_for(
        patient=patient,
        clinician=alice,
        phase=phase,
        working_diagnosis="hamstring_strain",
        reason="Testing the Askling exercises.",
    )


@pytest.mark.parametrize(("diagnosis", "codes"), ACTIVITIES.items())
def test_plan_create_stores_each_activity_as_a_prescription_with_its_dose(
    patient, alice, diagnosis, codes
):
    plan = plan_for(
        patient=patient, clinician=alice, working_diagnosis=diagnosis, reason="Every protocol."
    )
    rows = {p.step_code: p for p in plan.prescriptions.all()}
    for code in codes:
        row = rows[code]
        step = engine.step(code)
        assert row.ladder == step.ladder and row.is_activity
        planned = next(a for a in engine.protocol(diagnosis).phase(1).activities if a.code == code)
        for name in Prescription.DOSE_FIELDS:
            assert getattr(row.dose, name) == getattr(planned.dose, name), (code, name)
        assert row.note == (planned.note or "")
    # Running stays the last item; the activities follow the exercises.
    ordered = list(plan.prescriptions.order_by("position"))
    assert ordered[-1].ladder == "running"
    assert [p.step_code for p in ordered if p.is_activity] == codes


def test_moving_to_phase_two_adds_the_askling_diver_and_glider_and_keeps_the_extender(
    patient, alice
):
    plan = strain_plan(patient, alice)
    plan_advance_phase(plan=plan, clinician=alice)
    codes = set(plan.prescriptions.values_list("step_code", flat=True))
    assert {"askling_extender_slow", "askling_diver_slow", "askling_glider_slow"} <= codes


def test_advice_gets_no_progression_proposal_but_the_askling_extender_does(patient, alice):
    plan = plan_for(patient=patient, clinician=alice)  # tendinopathy: morning check, sitting
    session_log_create(plan=plan, recorded_by=alice, session_date=plan.starts_on, exercise_pain=2)
    proposed = {p.ladder for p, _ in progression_proposals(plan=plan)}
    assert "morning_check" not in proposed and "sitting" not in proposed
    assert "bridge" in proposed

    strain = strain_plan(patient, alice)
    session_log_create(
        plan=strain, recorded_by=alice, session_date=strain.starts_on, exercise_pain=2
    )
    assert "askling_extender" in {p.ladder for p, _ in progression_proposals(plan=strain)}


def test_plan_page_lists_the_activities_and_the_pt_can_adjust_one(alice_client, patient, alice):
    plan = strain_plan(patient, alice)
    text = page_text(alice_client.get(reverse("plan_detail", args=[plan.pk])))
    assert "Askling extender (slow, short of pain)" in text
    extender = plan.prescriptions.get(ladder="askling_extender")
    response = alice_client.post(
        reverse("prescription_edit", args=[extender.pk]),
        {
            "version": extender.version,
            "step_code": "askling_extender_slow",
            "sets": 2,
            "reps": "10",
            "sessions_per_week": 14,
            "note": "Twice a day, before and after work.",
        },
    )
    assert response.status_code == 302
    extender.refresh_from_db()
    assert (extender.sets, extender.reps) == (2, "10")


def test_the_runners_page_shows_each_activity_with_its_how_to_and_feel(client, patient, alice):
    plan = plan_for(
        patient=patient,
        clinician=alice,
        working_diagnosis="lumbar_referred_pain",
        reason="Nerve sliders and back care.",
    )
    text = page_text(client.get(reverse("patient_plan_page", args=[plan.patient_link.token])))
    for code in ACTIVITIES["lumbar_referred_pain"]:
        step = engine.step(code)
        assert step.name in text
        for line in step.how_to:
            assert line in text
        assert step.should_feel in text
        assert f"rehab/illustrations/{code}.svg" in text


def test_the_plan_html_has_a_card_per_activity_with_its_drawing(patient, alice):
    plan = strain_plan(patient, alice, phase=2)
    page = render_plan_html(plan=plan)
    for code in ("askling_extender_slow", "askling_diver_slow", "askling_glider_slow"):
        step = engine.step(code)
        assert f'src="{step.static_path}"' in page
        assert html.escape(step.how_to[0], quote=False) in page or step.how_to[0] in page


@pytest.mark.pdf
@pytest.mark.parametrize("diagnosis", ["hamstring_strain", "proximal_hamstring_tendinopathy"])
def test_the_pdf_reads_back_each_activitys_name_how_to_and_dose(patient, alice, diagnosis):
    plan = plan_for(
        patient=patient, clinician=alice, working_diagnosis=diagnosis, reason="The handout."
    )
    reader = pypdf.PdfReader(io.BytesIO(render_plan_pdf(plan=plan)))
    flat = squashed("\n".join(page.extract_text() for page in reader.pages))
    for code in ACTIVITIES[diagnosis]:
        step = engine.step(code)
        assert squashed(step.name) in flat
        for line in step.how_to:
            assert squashed(line) in flat, line
        assert squashed(step.should_feel) in flat
    if diagnosis == "hamstring_strain":
        assert squashed("3 × 12 · slow, about 3 s each way · twice a day") in flat
    else:
        assert squashed("Whenever you sit: stand up every 20-30 minutes") in flat


@pytest.mark.parametrize("phase", [1, 3])
def test_the_phases_uncarded_activities_are_listed_on_the_page_and_in_the_pdf_html(
    client, patient, alice, phase
):
    plan = strain_plan(patient, alice, phase=phase)
    other = [item.text for item in engine.protocol("hamstring_strain").phase(phase).other]
    assert other  # phase 1: easy cycling; phase 3: Nordic lowers
    text = page_text(client.get(reverse("patient_plan_page", args=[plan.patient_link.token])))
    page = html.unescape(render_plan_html(plan=plan))
    for line in other:
        assert line in text
        assert line in page


def test_crutches_leave_the_plan_when_the_doctor_allows_full_weight(patient, alice):
    plan = plan_for(
        patient=patient,
        clinician=alice,
        working_diagnosis="bone_stress_injury",
        reason="Offloading, then full weight.",
    )
    crutches = plan.prescriptions.get(ladder="bone_offload")
    plan_advance_phase(plan=plan, clinician=alice)
    assert not plan.prescriptions.filter(ladder="bone_offload").exists()
    # Removed with its history, not silently: the deletion is in the change history.
    assert Prescription.history.filter(id=crutches.pk, history_type="-").exists()
    assert "Offloading and crutches" not in render_plan_html(plan=plan)
