"""Tissue-specific plans through the services, the plan page and the PDF (issue 11, item 3):
the hip waits for a femoral-neck stress fracture to be ruled out before any running, the strain
returns to top speed through its sprint-efforts card, and the criteria printed on a card are the
ones the engine applies."""

import io
from decimal import Decimal

import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rehab import engine
from rehab.composer import plan_start_from_template
from rehab.models import PlanTemplate
from rehab.pdf import render_plan_pdf
from rehab.services import (
    plan_create,
    plan_set_cleared_to_run,
    prescription_set_step,
    prescription_update,
    progression_decide,
)
from tests.rehab_factories import plan_for, signed_assessment

HIP = "hip_joint_referred_pain"


def _running(plan):
    return plan.prescriptions.get(ladder="running")


def _pdf_text(plan) -> str:
    reader = pypdf.PdfReader(io.BytesIO(render_plan_pdf(plan=plan)))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


@pytest.fixture
def hip_plan(patient, alice):
    assessment = signed_assessment(
        patient=patient, clinician=alice, working_diagnosis=HIP, reason="Hip-related pain."
    )
    return plan_create(assessment=assessment, clinician=alice, weekly_km=Decimal("30"))


def test_a_hip_plan_is_built_with_running_off_until_the_clearance(hip_plan):
    running = _running(hip_plan)
    assert not engine.step(running.step_code).involves_running
    assert "top of the thigh bone" in running.note
    with pytest.raises(ValidationError) as refused:
        prescription_set_step(prescription=running, step_code="run_continuous_easy")
    assert "femoral-neck stress fracture" in str(refused.value.message_dict["step_code"])
    running.refresh_from_db()
    assert running.step_code == "run_brisk_walk"


def test_recording_the_clearance_starts_running_where_the_runner_is_and_undoing_stops_it(
    hip_plan,
):
    plan_set_cleared_to_run(plan=hip_plan, cleared=True)
    running = _running(hip_plan)
    expected = engine.build_plan(diagnosis=HIP, weekly_km=30, cleared_to_run=True).running.step
    assert running.step_code == expected.code == "run_continuous_easy"
    assert "Running waits" not in running.note and "30 km" in running.note
    plan_set_cleared_to_run(plan=hip_plan, cleared=False)
    assert not engine.step(_running(hip_plan).step_code).involves_running


def test_the_hip_plan_page_asks_for_the_femoral_neck_rule_out(alice_client, hip_plan):
    page = alice_client.get(hip_plan.get_absolute_url()).content.decode()
    form = page[page.index('id="clearance"') :]
    assert "Record clearance to run" in form[: form.index("</form>")]
    assert "femoral-neck stress fracture ruled out" in form[: form.index("</form>")]
    alice_client.post(reverse("plan_cleared_to_run", args=[hip_plan.pk]), {"cleared": "yes"})
    hip_plan.refresh_from_db()
    assert hip_plan.cleared_to_run
    assert _running(hip_plan).step_code == "run_continuous_easy"


def test_a_plan_without_a_clearance_rule_shows_no_clearance_form(alice_client, patient, alice):
    plan = plan_for(patient=patient, clinician=alice)  # proximal tendinopathy
    page = alice_client.get(plan.get_absolute_url()).content.decode()
    assert 'id="clearance"' not in page


@pytest.mark.pdf
def test_the_hip_pdf_says_no_running_and_why_until_cleared(hip_plan):
    text = _pdf_text(hip_plan)
    assert "No running until a doctor clears you." in text
    assert "crack in the top of the thigh bone" in text
    plan_set_cleared_to_run(plan=hip_plan, cleared=True)
    assert "No running until a doctor clears you." not in _pdf_text(hip_plan)


@pytest.mark.pdf
def test_the_strain_pdf_in_phase_3_cards_the_sprint_efforts_with_the_engines_criteria(
    patient, alice
):
    plan = plan_for(
        patient=patient,
        clinician=alice,
        phase=3,
        working_diagnosis="hamstring_strain",
        reason="Sprinting injury.",
    )
    sprint = plan.prescriptions.get(ladder="sprint")
    assert sprint.step_code == "sprint_50"
    text = _pdf_text(plan)
    assert "Sprint efforts at half speed" in text
    # The card prints the rule the engine applies (its good-session count is filled in from the
    # engine's settings; the pain-free entry limit is the protocol's for each faster step).
    rule = engine.step("sprint_50").progress_when
    assert rule.split(".")[0] in text and "no pain at all" in rule
    with pytest.raises(ValidationError):
        prescription_set_step(prescription=sprint, step_code="sprint_90")


def test_no_way_in_sets_running_on_a_hip_plan_before_the_clearance(hip_plan, alice, patient):
    """The PT's edit form, an override of a proposal and a clinic template all go through the
    same refusal as moving the step: running waits for the femoral-neck rule-out."""
    running = _running(hip_plan)
    with pytest.raises(ValidationError) as edited:
        prescription_update(prescription=running, step_code="run_continuous_easy")
    assert "femoral-neck stress fracture" in str(edited.value.message_dict["step_code"])

    proposal = engine.propose_progression(
        tissue_or_diagnosis=hip_plan.diagnosis,
        ladder="running",
        current_step=running.step_code,
        logs=[],
        phase=hip_plan.current_phase,
        cleared_to_run=False,
    )
    with pytest.raises(ValidationError) as overridden:
        progression_decide(
            prescription=running,
            proposal=proposal,
            clinician=alice,
            to_step="run_continuous_easy",
            override_reason="The runner feels fine.",
        )
    assert "clearance" in str(overridden.value.message_dict["to_step"])

    template = PlanTemplate.objects.create(
        clinic=patient.clinic,
        name="Hip with running",
        diagnosis=HIP,
        phase=1,
        items=[{"ladder": "running", "step_code": "run_continuous_easy"}],
        created_by=alice,
    )
    report = plan_start_from_template(plan=hip_plan, template=template)
    assert any("clearance" in refusal for refusal in report.refused), report.refused
    running.refresh_from_db()
    assert running.step_code == "run_brisk_walk"
