"""The dashboard's inbox (issue 14): what came in since the PT last opened each plan, and the plan
page's side of it (runner notes, decided proposals, the dose kept on a step move, re-issue)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from rehab import engine
from rehab.documents import issued_document_bytes
from rehab.models import Prescription
from rehab.selectors import progression_proposals
from rehab.services import (
    carried_dose,
    outcome_measurement_record,
    plan_advance_phase,
    plan_issue,
    prescription_update,
    progression_decide,
    session_log_create,
)
from tests.factories import PatientFactory
from tests.rehab_factories import plan_for

TODAY = timezone.localdate()
NOTE = "Sitting at work still niggles"


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice)


@pytest.fixture
def phase_two_plan(plan, alice):
    """Phase 2 of the tendinopathy plan: the bridge ladder may climb."""
    return plan_advance_phase(plan=plan, clinician=alice)


def _runner_log(plan, **fields):
    values = {"session_date": TODAY, "exercise_pain": 1, "next_morning": "same", **fields}
    return session_log_create(plan=plan, **values)


def _inbox(client):
    return client.get(reverse("dashboard")).context["plans"].inbox.entries


def _entry(client, plan):
    return next((entry for entry in _inbox(client) if entry.plan.pk == plan.pk), None)


def _open(client, plan):
    assert client.get(plan.get_absolute_url()).status_code == 200


def test_runner_logs_and_notes_wait_in_the_inbox_until_the_pt_opens_the_plan(
    client, alice, bob, plan
):
    client.force_login(alice)
    assert _entry(client, plan) is None
    _runner_log(plan, notes=NOTE)
    _runner_log(plan)
    page = client.get(reverse("dashboard")).content.decode()
    assert 'class="inbox-logs"' in page and "2 new sessions from the runner" in page
    assert NOTE in page
    _open(client, plan)
    assert _entry(client, plan) is None
    client.force_login(bob)  # the mark is per clinician: bob has not looked
    assert [log.notes for log in _entry(client, plan).notes] == [NOTE]


def test_a_log_the_pt_entered_is_not_news_to_them(alice_client, alice, plan):
    session_log_create(plan=plan, recorded_by=alice, session_date=TODAY, exercise_pain=1)
    assert _entry(alice_client, plan) is None


def test_a_proposal_waits_until_decided_not_merely_seen(alice_client, alice, phase_two_plan):
    plan = phase_two_plan
    _runner_log(plan)
    _runner_log(plan)
    entry = _entry(alice_client, plan)
    waiting = {s.prescription.ladder: s.proposal for s in entry.waiting}
    assert waiting["bridge"].action == "progress"
    assert 'class="inbox-proposals"' in alice_client.get(reverse("dashboard")).content.decode()
    _open(alice_client, plan)
    assert {s.prescription.ladder for s in _entry(alice_client, plan).waiting} == set(waiting)
    for ladder, proposal in waiting.items():
        prescription = plan.prescriptions.get(ladder=ladder)
        response = alice_client.post(
            reverse("progression_decide", args=[prescription.pk]),
            {"to_step": proposal.target_step},
        )
        assert response.status_code == 302
        left = _entry(alice_client, plan)
        assert ladder not in {s.prescription.ladder for s in (left.waiting if left else [])}
    assert _entry(alice_client, plan) is None


def test_returned_questionnaires_show_until_the_pt_looks(alice_client, alice, patient, plan):
    outcome_measurement_record(
        patient=patient, measure="pain_rest", measured_on=TODAY, responses={"pain": 3}, plan=plan
    )
    entry = _entry(alice_client, plan)
    assert [m.measure for m in entry.questionnaires] == ["pain_rest"]
    assert 'class="inbox-questionnaires"' in alice_client.get(reverse("dashboard")).content.decode()
    _open(alice_client, plan)
    assert _entry(alice_client, plan) is None
    outcome_measurement_record(  # one the PT entered herself is not news
        patient=patient,
        measure="pain_rest",
        measured_on=TODAY,
        responses={"pain": 2},
        recorded_by=alice,
    )
    assert _entry(alice_client, plan) is None


def test_an_issued_pdf_is_out_of_date_after_a_change_until_reissued(alice_client, alice, plan):
    plan_issue(plan=plan, clinician=alice, pdf=b"%PDF-1.4 version 1")
    _open(alice_client, plan)
    assert _entry(alice_client, plan) is None  # issuing a draft is not a change after the issue
    assert 'id="reissue-banner"' not in alice_client.get(plan.get_absolute_url()).content.decode()
    bridge = plan.prescriptions.get(ladder="bridge")
    prescription_update(prescription=bridge, step_code=bridge.step_code, sets=3, hold_seconds=30)
    assert _entry(alice_client, plan).pdf_out_of_date
    page = alice_client.get(plan.get_absolute_url()).content.decode()
    assert 'id="reissue-banner"' in page and "after version 1 was issued" in page
    assert _entry(alice_client, plan).pdf_out_of_date  # looking does not fix the PDF
    plan_issue(plan=plan, clinician=alice, pdf=b"%PDF-1.4 version 2")
    assert _entry(alice_client, plan) is None
    assert 'id="reissue-banner"' not in alice_client.get(plan.get_absolute_url()).content.decode()


@pytest.mark.pdf
def test_the_banners_button_reissues_the_pdf(alice_client, alice, plan):
    plan_issue(plan=plan, clinician=alice, pdf=b"%PDF-1.4 version 1")
    bridge = plan.prescriptions.get(ladder="bridge")
    prescription_update(prescription=bridge, step_code=bridge.step_code, sets=2, hold_seconds=30)
    assert 'id="reissue-banner"' in alice_client.get(plan.get_absolute_url()).content.decode()
    response = alice_client.post(reverse("plan_issue", args=[plan.pk]))
    assert response.status_code == 302
    assert plan.documents.count() == 2
    assert issued_document_bytes(plan.documents.first()).startswith(b"%PDF")
    assert 'id="reissue-banner"' not in alice_client.get(plan.get_absolute_url()).content.decode()


def test_worsening_comes_first_whatever_came_in_later(alice_client, alice, clinic, plan):
    other = plan_for(patient=PatientFactory(clinic=clinic), clinician=alice)
    _runner_log(plan, pain_travelled_down_leg=True)
    _runner_log(other, notes="All good this week")  # newer, but not worsening
    entries = _inbox(alice_client)
    assert [entry.plan.pk for entry in entries] == [plan.pk, other.pk]
    assert entries[0].worsening and not entries[1].worsening
    _open(alice_client, plan)  # looking clears the logs, not the alert: that takes an action
    assert [entry.plan.pk for entry in _inbox(alice_client)] == [plan.pk, other.pk]


def test_another_clinics_plans_never_reach_the_inbox(client, charlie, plan):
    _runner_log(plan, notes=NOTE)
    client.force_login(charlie)
    assert _inbox(client) == []
    assert NOTE not in client.get(reverse("dashboard")).content.decode()


def _busy_plan(clinic, alice):
    """A plan with every kind of news: runner logs with notes, a waiting proposal, a returned
    questionnaire, a PDF out of date, a worsening alert."""
    patient = PatientFactory(clinic=clinic)
    plan = plan_advance_phase(plan=plan_for(patient=patient, clinician=alice), clinician=alice)
    plan_issue(plan=plan, clinician=alice, pdf=b"%PDF-1.4")
    bridge = plan.prescriptions.get(ladder="bridge")
    prescription_update(prescription=bridge, step_code=bridge.step_code, sets=2, reps="15")
    _runner_log(plan, notes=NOTE)
    _runner_log(plan, pain_travelled_down_leg=True)
    outcome_measurement_record(
        patient=patient, measure="pain_rest", measured_on=TODAY, responses={"pain": 3}
    )
    return plan


def test_the_dashboard_costs_the_same_queries_for_one_plan_or_many(
    alice_client, alice, clinic, django_assert_max_num_queries
):
    _busy_plan(clinic, alice)
    with django_assert_max_num_queries(14) as one:  # measured: 14, of which the plan lists 4
        inbox = alice_client.get(reverse("dashboard")).context["plans"].inbox.entries
    assert len(inbox) == 1 and inbox[0].waiting and inbox[0].pdf_out_of_date
    for _ in range(5):
        _busy_plan(clinic, alice)
    with django_assert_max_num_queries(len(one.captured_queries)):
        inbox = alice_client.get(reverse("dashboard")).context["plans"].inbox.entries
    assert len(inbox) == 6
    assert all(e.worsening and e.notes and e.waiting and e.questionnaires for e in inbox)


def test_the_plan_page_shows_the_runners_notes_beside_each_session(alice_client, plan):
    _runner_log(plan, notes=NOTE)
    page = alice_client.get(plan.get_absolute_url()).content.decode()
    assert f'<td class="small session-notes">{NOTE}</td>' in page


def _bridge_card(page: str) -> str:
    start = page.index('data-ladder="bridge" data-action=')
    return page[start : page.index("</form>", start)]


def test_a_decided_proposal_is_marked_with_who_when_and_what(alice_client, alice, phase_two_plan):
    plan = phase_two_plan
    _runner_log(plan)
    _runner_log(plan)
    card = _bridge_card(alice_client.get(plan.get_absolute_url()).content.decode())
    assert 'data-action="progress" data-decided="no"' in card
    assert "Waiting for your decision" in card and "Decided by" not in card
    bridge = plan.prescriptions.get(ladder="bridge")
    proposal = dict(progression_proposals(plan=plan))[bridge]
    progression_decide(prescription=bridge, proposal=proposal, clinician=alice)
    response = alice_client.get(plan.get_absolute_url())
    card = _bridge_card(response.content.decode())
    assert 'data-decided="yes"' in card and "Waiting for your decision" not in card
    decision = bridge.decisions.get()
    assert (
        f"Decided by {alice.get_full_name() or alice.username} on "
        f"{timezone.localtime(decision.decided_at):%-d %b %Y %H:%M}: accepted the proposal "
        f"(progress); moved from {engine.step(decision.from_step).name} to "
        f"{engine.step(decision.to_step).name}." in card
    )
    _runner_log(plan)  # a new session reopens the question
    card = _bridge_card(alice_client.get(plan.get_absolute_url()).content.decode())
    assert 'data-decided="no"' in card and "Decided by" not in card


def test_moving_up_keeps_the_pts_numbers_on_the_safe_side(alice_client, alice, phase_two_plan):
    plan = phase_two_plan
    bridge = plan.prescriptions.get(ladder="bridge")
    old, new = engine.step(bridge.step_code), engine.step("bridge_single_leg")
    assert new.position > old.position
    prescription_update(
        prescription=bridge,
        step_code=bridge.step_code,
        sets=2,
        reps="10",
        rest_seconds=180,
        sessions_per_week=old.dose.sessions_per_week + 2,
    )
    _runner_log(plan)
    _runner_log(plan)
    response = alice_client.post(
        reverse("progression_decide", args=[bridge.pk]), {"to_step": new.code}
    )
    assert response.status_code == 302
    bridge.refresh_from_db()
    assert bridge.step_code == new.code
    assert bridge.sets == 2  # the PT's fewer sets kept
    assert bridge.rest_seconds == 180  # the PT's longer rest kept
    assert bridge.sessions_per_week == new.dose.sessions_per_week  # never above the new standard
    assert bridge.reps == new.dose.reps  # the step's own exercise text is the new step's


def test_untouched_fields_and_a_move_down_take_the_new_steps_standard(phase_two_plan):
    bridge = Prescription.objects.get(plan=phase_two_plan, ladder="bridge")
    old = engine.step(bridge.step_code)
    lower = engine.step("bridge_isometric_double")
    higher = engine.step("bridge_single_leg")
    assert carried_dose(prescription=bridge, old=old, new=higher)["sets"] == higher.dose.sets
    bridge.sets, bridge.rest_seconds = 1, 60
    down = carried_dose(prescription=bridge, old=old, new=lower)
    assert (down["sets"], down["hold_seconds"]) == (lower.dose.sets, lower.dose.hold_seconds)
    up = carried_dose(prescription=bridge, old=old, new=higher)
    assert (up["sets"], up["rest_seconds"]) == (1, higher.dose.rest_seconds)  # rest not below
    bridge.step_code, bridge.hold_seconds = lower.code, 30  # a hold on the isometric step
    up = carried_dose(prescription=bridge, old=lower, new=old)
    assert old.dose.hold_seconds is None and up["hold_seconds"] is None  # not carried onto reps
    assert up["sets"] == 1
