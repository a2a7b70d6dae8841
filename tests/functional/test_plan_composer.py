"""Composing a plan's phase: the library, add, reorder, remove, clinic templates and copying an
earlier plan, each within the tissue and phase rules (rehab/engine/compose.py)."""

import datetime as dt
import io
import uuid

import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from rehab.clinical_note import clinical_note_context
from rehab.composer import (
    plan_copy_from,
    plan_item_add,
    plan_item_remove,
    plan_start_from_template,
    plan_template_save,
)
from rehab.models import CAUSE_CHOICES, PlanTemplate, Prescription
from rehab.pdf import render_plan_pdf
from rehab.selectors import progression_proposals, start_from_choices
from rehab.services import plan_advance_phase, plan_end, session_log_create
from tests.factories import PatientFactory
from tests.rehab_factories import plan_for, signed_assessment

REASON = "Runner sits all day at work; the glider keeps the hamstring moving."


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice)


def _ladders(plan):
    return list(plan.prescriptions.order_by("position").values_list("ladder", flat=True))


def _key():
    return str(uuid.uuid4())


def _add(client, plan, step_code, reason="", **query):
    return client.post(
        reverse("plan_item_add", args=[plan.pk]),
        {"step_code": step_code, "outside_reason": reason, "submission_key": _key()},
        QUERY_STRING="&".join(f"{k}={v}" for k, v in query.items()),
    )


# --- The library -------------------------------------------------------------------------------


def test_the_library_lists_what_the_phase_allows_and_searches(alice_client, plan):
    page = alice_client.get(reverse("plan_library", args=[plan.pk])).content.decode()
    assert 'data-step="morning_bridge_check"' not in page  # in the plan already
    assert 'data-step="run_continuous_easy"' not in page  # running changes on its card
    assert 'data-step="askling_extender_slow"' not in page  # outside: not by default
    wider = alice_client.get(reverse("plan_library", args=[plan.pk]), {"show": "addable"})
    assert 'data-step="askling_extender_slow"' in wider.content.decode()
    found = alice_client.get(
        reverse("plan_library", args=[plan.pk]), {"show": "all", "q": "deadlift full"}
    ).content.decode()
    assert 'data-step="rdl_full_range"' in found and 'data-step="bridge_double"' not in found
    assert "comes with phase 3" in found  # why it cannot be added now


def test_a_bad_filter_falls_back_to_what_the_protocol_allows(alice_client, plan):
    response = alice_client.get(reverse("plan_library", args=[plan.pk]), {"show": "<script>"})
    assert response.status_code == 200
    assert 'data-step="askling_extender_slow"' not in response.content.decode()


def test_the_library_page_reads_a_bounded_number_of_rows(
    alice_client, plan, django_assert_max_num_queries
):
    url = reverse("plan_library", args=[plan.pk])
    with django_assert_max_num_queries(14) as first:
        alice_client.get(url, {"show": "all"})
    plan_item_add(plan=plan, step_code="askling_glider_slow", outside_reason=REASON)
    # One more item in the plan costs no extra query: the library reads the plan's ladders once.
    with django_assert_max_num_queries(len(first.captured_queries)):
        alice_client.get(url, {"show": "all"})


# --- Adding ------------------------------------------------------------------------------------


def test_a_protocol_item_is_added_last_with_its_standard_dose(alice_client, patient, alice):
    plan = plan_for(patient=patient, clinician=alice, phase=3)
    plan_item_remove(prescription=plan.prescriptions.get(ladder="rdl"))
    response = _add(alice_client, plan, "rdl_to_knee")
    assert response.status_code == 302
    added = plan.prescriptions.get(ladder="rdl")
    assert added.step_code == "rdl_to_knee" and added.outside_reason == ""
    assert _ladders(plan)[-1] == "rdl"
    assert added.sets is not None and added.history.count() == 1


def test_an_item_outside_the_protocol_needs_a_reason_which_the_plan_shows(alice_client, plan):
    refused = _add(alice_client, plan, "askling_glider_slow", show="addable")
    assert refused.status_code == 400
    page = refused.content.decode()
    assert "say why you are adding it" in page
    assert 'id="id_add_askling_glider_slow_outside_reason"' in page
    assert not plan.prescriptions.filter(ladder="askling_glider").exists()

    assert _add(alice_client, plan, "askling_glider_slow", REASON).status_code == 302
    item = plan.prescriptions.get(ladder="askling_glider")
    assert item.outside_reason == REASON
    shown = alice_client.get(plan.get_absolute_url()).content.decode()
    assert "Outside the protocol" in shown and REASON in shown
    note = clinical_note_context(plan.assessment)
    assert any(REASON in words for entry in note["plans"] for words in entry["items"])


def test_the_reason_typed_is_kept_when_the_add_is_refused(alice_client, plan):
    long_reason = "x" * 600
    response = _add(alice_client, plan, "askling_glider_slow", long_reason, show="addable")
    assert response.status_code == 400
    assert long_reason in response.content.decode()
    assert not plan.prescriptions.filter(ladder="askling_glider").exists()


def test_a_step_above_the_phase_ceiling_cannot_be_added_even_with_a_reason(alice_client, plan):
    # Phase 1 of a tendinopathy allows the hip thrust only at its first step, with a reason.
    response = _add(alice_client, plan, "hip_thrust_barbell", REASON, show="all")
    assert response.status_code == 400
    assert "comes with phase" in response.content.decode()
    assert not plan.prescriptions.filter(ladder="hip_thrust").exists()
    with pytest.raises(ValidationError) as error:
        plan_item_add(plan=plan, step_code="hip_thrust_barbell", outside_reason=REASON)
    assert "step_code" in error.value.message_dict


def test_running_and_a_ladder_already_in_the_plan_are_not_added_twice(plan):
    for code in ("run_brisk_walk", "bridge_isometric_double"):
        with pytest.raises(ValidationError) as error:
            plan_item_add(plan=plan, step_code=code)
        assert "step_code" in error.value.message_dict
    with pytest.raises(ValidationError):
        plan_item_add(plan=plan, step_code="no_such_step")


def test_an_added_item_is_held_outside_the_protocol_and_progresses_once_its_phase_comes(
    plan, alice
):
    item = plan_item_add(plan=plan, step_code="hip_thrust_bodyweight", outside_reason=REASON)
    for _ in range(4):  # good sessions: the engine would move an item of the protocol on
        session_log_create(
            plan=plan,
            recorded_by=alice,
            session_date=plan.starts_on,
            exercise_pain=1,
            next_morning="same",
            completed=True,
        )
    proposal = dict(progression_proposals(plan=plan))[item]
    assert (proposal.action, proposal.rule) == ("hold", "hold_outside_protocol")
    assert proposal.target_step == "hip_thrust_bodyweight"
    plan_advance_phase(plan=plan, clinician=alice)  # phase 2 brings the hip thrust in
    item.refresh_from_db()
    assert dict(progression_proposals(plan=plan))[item].action == "progress"


def test_a_double_posted_add_adds_once(alice_client, plan):
    data = {"step_code": "askling_glider_slow", "outside_reason": REASON, "submission_key": _key()}
    url = reverse("plan_item_add", args=[plan.pk])
    first, second = alice_client.post(url, data), alice_client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert plan.prescriptions.filter(ladder="askling_glider").count() == 1


# --- Order and removal -------------------------------------------------------------------------


def test_items_move_up_and_down_and_the_ends_refuse(alice_client, plan):
    before = _ladders(plan)
    second = plan.prescriptions.get(ladder=before[1])
    move = reverse("plan_item_move", args=[second.pk])
    alice_client.post(move, {"direction": "up", "submission_key": _key()})
    assert _ladders(plan) == [before[1], before[0], *before[2:]]
    alice_client.post(move, {"direction": "up", "submission_key": _key()})  # already first
    assert _ladders(plan)[0] == before[1]
    alice_client.post(move, {"direction": "down", "submission_key": _key()})
    assert _ladders(plan) == before
    bad = alice_client.post(move, {"direction": "sideways"}, follow=True)
    assert "Direction" in bad.content.decode() and _ladders(plan) == before


def test_removing_asks_first_keeps_the_history_and_never_takes_running(alice_client, plan):
    page = alice_client.get(plan.get_absolute_url()).content.decode()
    sitting = plan.prescriptions.get(ladder="sitting")
    remove = reverse("plan_item_remove", args=[sitting.pk])
    assert f'action="{remove}"' in page and "Yes, remove it" in page
    key = _key()
    assert alice_client.post(remove, {"submission_key": key}).status_code == 302
    # Back and resend: sent to the plan, not a 404.
    assert alice_client.post(remove, {"submission_key": key}).status_code == 302
    assert not plan.prescriptions.filter(ladder="sitting").exists()
    assert Prescription.history.filter(id=sitting.pk, history_type="-").exists()
    running = plan.prescriptions.get(ladder="running")
    alice_client.post(reverse("plan_item_remove", args=[running.pk]))
    assert plan.prescriptions.filter(ladder="running").exists()
    assert f'action="{reverse("plan_item_remove", args=[running.pk])}"' not in page


def test_an_ended_plan_is_not_composed(plan):
    plan_end(plan=plan)
    with pytest.raises(ValidationError):
        plan_item_add(plan=plan, step_code="askling_glider_slow", outside_reason=REASON)
    with pytest.raises(ValidationError):
        plan_item_remove(prescription=plan.prescriptions.get(ladder="sitting"))


# --- Templates and copies ----------------------------------------------------------------------


def test_a_saved_template_starts_another_runners_plan(alice_client, plan, clinic, alice):
    plan_item_add(plan=plan, step_code="askling_glider_slow", outside_reason=REASON)
    response = alice_client.post(
        reverse("plan_template_save", args=[plan.pk]),
        {"name": "Desk worker, early tendinopathy", "submission_key": _key()},
    )
    assert response.status_code == 302
    template = PlanTemplate.objects.get(clinic=clinic)
    assert [item["ladder"] for item in template.items] == _ladders(plan)
    assert all("note" not in item for item in template.items)  # no runner's words
    assert template.history.count() == 1

    other = plan_for(patient=PatientFactory(clinic=clinic), clinician=alice)
    plan_item_remove(prescription=other.prescriptions.get(ladder="sitting"))
    response = alice_client.post(
        reverse("plan_start_from", args=[other.pk]),
        {"source": f"template-{template.pk}", "submission_key": _key()},
        follow=True,
    )
    assert "Started this phase from template" in response.content.decode()
    assert _ladders(other) == _ladders(plan)
    assert other.prescriptions.get(ladder="askling_glider").outside_reason == REASON


def test_a_template_name_is_needed_and_unique_in_the_clinic(alice_client, plan, alice):
    plan_template_save(plan=plan, name="Early", clinician=alice)
    with pytest.raises(ValidationError) as error:
        plan_template_save(plan=plan, name="Early", clinician=alice)
    assert "name" in error.value.message_dict
    response = alice_client.post(
        reverse("plan_template_save", args=[plan.pk]), {"name": " "}, follow=True
    )
    assert "Template name: This field is required." in response.content.decode()


def test_template_items_that_do_not_fit_the_phase_are_reported_not_dropped(patient, alice):
    later = plan_for(patient=patient, clinician=alice, phase=3)
    template = plan_template_save(plan=later, name="Phase 3", clinician=alice)
    early = plan_for(patient=PatientFactory(clinic=patient.clinic), clinician=alice)
    report = plan_start_from_template(plan=early, template=template)
    assert report.refused, "phase 3 steps do not fit phase 1"
    assert any("Single-leg bridge" in line for line in report.refused)
    names = {p.step_code for p in early.prescriptions.all()}
    assert "bridge_isometric_double" in names  # the plan's own bridge stays
    ceiling = {"bridge": "bridge_isometric_double", "running": "run_continuous_easy"}
    for item in early.prescriptions.all():
        if item.ladder in ceiling:
            assert item.step_code == ceiling[item.ladder]


def test_copying_the_patients_earlier_plan_keeps_its_notes(patient, alice):
    earlier = plan_for(patient=patient, clinician=alice)
    plan_item_add(plan=earlier, step_code="askling_glider_slow", outside_reason=REASON)
    glider = earlier.prescriptions.get(ladder="askling_glider")
    glider.note = "Slowly, in the evening."
    glider.save()
    plan = plan_for(patient=patient, clinician=alice)
    report = plan_copy_from(plan=plan, source=earlier)
    assert not report.refused
    assert plan.prescriptions.get(ladder="askling_glider").note == "Slowly, in the evening."
    with pytest.raises(ValidationError):
        plan_copy_from(
            plan=plan,
            source=plan_for(patient=PatientFactory(clinic=patient.clinic), clinician=alice),
        )


def test_a_phase_starts_from_the_diagnosis_templates_first_then_the_patients_newest_plans(
    patient, alice, charlie
):
    plan = plan_for(patient=patient, clinician=alice)
    other_cause = next(code for code, _ in CAUSE_CHOICES if code != plan.diagnosis)
    for name, cause in (
        ("zebra", plan.diagnosis),
        ("Apple", other_cause),
        ("mango", plan.diagnosis),
    ):
        PlanTemplate.objects.create(
            clinic=patient.clinic, name=name, diagnosis=cause, phase=2, items=[], created_by=alice
        )
    older = plan_for(patient=patient, clinician=alice, starts_on=dt.date(2026, 1, 5))
    newer = plan_for(patient=patient, clinician=alice, phase=2, starts_on=dt.date(2026, 3, 9))
    plan_for(patient=PatientFactory(clinic=patient.clinic), clinician=alice)  # another runner's
    theirs = plan_for(
        patient=PatientFactory(clinic=charlie.memberships.first().clinic), clinician=charlie
    )
    plan_template_save(plan=theirs, name="Theirs", clinician=charlie)
    causes = dict(CAUSE_CHOICES)
    labels = [
        label
        for _, label in start_from_choices(
            clinic_id=patient.clinic_id,
            patient_id=patient.pk,
            diagnosis=plan.diagnosis,
            exclude_plan_pk=plan.pk,
        )
    ]
    assert labels == [
        f"Template: mango ({causes[plan.diagnosis]}, phase 2)",
        f"Template: zebra ({causes[plan.diagnosis]}, phase 2)",
        f"Template: Apple ({causes[other_cause]}, phase 2)",
        f"Earlier plan: {causes[newer.diagnosis]} from 09 Mar 2026, phase 2",
        f"Earlier plan: {causes[older.diagnosis]} from 05 Jan 2026, phase 1",
    ]


def test_another_clinics_template_or_plan_cannot_be_chosen(alice_client, plan, charlie):
    theirs = plan_for(
        patient=PatientFactory(clinic=charlie.memberships.first().clinic), clinician=charlie
    )
    template = plan_template_save(plan=theirs, name="Theirs", clinician=charlie)
    before = _ladders(plan)
    for source in (f"template-{template.pk}", f"plan-{theirs.pk}", "plan-x"):
        response = alice_client.post(
            reverse("plan_start_from", args=[plan.pk]), {"source": source}, follow=True
        )
        assert "Select a valid choice" in response.content.decode()
    assert _ladders(plan) == before
    with pytest.raises(ValidationError):
        plan_start_from_template(plan=plan, template=template)


def test_another_clinics_plan_is_404_on_every_composer_url(client, charlie, plan):
    client.force_login(charlie)
    item = plan.prescriptions.get(ladder="sitting")
    assert client.get(reverse("plan_library", args=[plan.pk])).status_code == 404
    for name, pk, data in (
        ("plan_item_add", plan.pk, {"step_code": "askling_glider_slow", "outside_reason": "x"}),
        ("plan_template_save", plan.pk, {"name": "Stolen"}),
        ("plan_start_from", plan.pk, {"source": "plan-1"}),
        ("plan_item_move", item.pk, {"direction": "up"}),
        ("plan_item_remove", item.pk, {}),
    ):
        assert client.post(reverse(name, args=[pk]), data).status_code == 404, name
    assert plan.prescriptions.filter(ladder="sitting").exists()
    assert not PlanTemplate.objects.exists()


# --- Building a plan from a template -----------------------------------------------------------


def test_a_new_plan_is_built_from_a_clinic_template(alice_client, plan, patient, alice):
    plan_item_add(plan=plan, step_code="askling_glider_slow", outside_reason=REASON)
    plan_item_remove(prescription=plan.prescriptions.get(ladder="sitting"))
    template = plan_template_save(plan=plan, name="Desk worker", clinician=alice)
    assessment = signed_assessment(patient=PatientFactory(clinic=patient.clinic), clinician=alice)
    page = alice_client.get(assessment.get_absolute_url()).content.decode()
    assert f'value="template-{template.pk}"' in page
    response = alice_client.post(
        reverse("plan_create", args=[assessment.pk]),
        {"start_from": f"template-{template.pk}", "submission_key": _key()},
        follow=True,
    )
    built = assessment.plans.get()
    assert _ladders(built) == _ladders(plan)
    assert "Started this phase from template" in response.content.decode()


@pytest.mark.parametrize("choice", ["template-{theirs}", "plan-{their_plan}", "everything"])
def test_a_plan_is_not_built_from_what_the_clinic_cannot_see(
    alice_client, patient, alice, charlie, choice
):
    their_plan = plan_for(
        patient=PatientFactory(clinic=charlie.memberships.get().clinic), clinician=charlie
    )
    theirs = plan_template_save(plan=their_plan, name="Theirs", clinician=charlie)
    assessment = signed_assessment(patient=patient, clinician=alice)
    response = alice_client.post(
        reverse("plan_create", args=[assessment.pk]),
        {"start_from": choice.format(theirs=theirs.pk, their_plan=their_plan.pk)},
    )
    assert response.status_code in (302, 404)
    if response.status_code == 302:  # the bad choice is named, nothing built
        page = alice_client.get(response.url).content.decode()
        assert "Start from" in page
    assert not assessment.plans.exists()


@pytest.mark.pdf
def test_an_added_item_is_a_card_on_the_runners_pdf_without_the_pts_reason(plan):
    plan_item_add(plan=plan, step_code="askling_glider_slow", outside_reason=REASON)
    reader = pypdf.PdfReader(io.BytesIO(render_plan_pdf(plan=plan)))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Askling glider" in text
    assert "sits all day at work" not in text  # the PT's reason is the clinic's, not the runner's
