"""The clinician's plan workflow: build, adjust, log, progress, link; scoped to the clinic."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from assessments.services import assessment_sign
from rehab import engine
from rehab.models import Plan, ProgressionDecision, SessionLog
from rehab.selectors import patient_link_url
from rehab.services import (
    plan_advance_phase,
    plan_create,
    prescription_update,
    progression_decide,
)
from tests.factories import NOT_SCREENED, AssessmentFactory
from tests.rehab_factories import PHT_FINDINGS


@pytest.fixture
def signed_assessment(patient, alice):
    assessment = AssessmentFactory(patient=patient, clinician=alice, **PHT_FINDINGS)
    return assessment_sign(
        red_flag_screen_reason=NOT_SCREENED, assessment=assessment, clinician=alice
    )


@pytest.fixture
def plan(signed_assessment, alice):
    return plan_create(assessment=signed_assessment, clinician=alice)


@pytest.fixture
def phase_two_plan(plan, alice):
    """Phase 2 of the tendinopathy plan: the bridge ladder may climb (phase 1 holds only)."""
    return plan_advance_phase(plan=plan, clinician=alice)


def _good_session(client, plan, day):
    return client.post(
        reverse("session_log_create", args=[plan.pk]),
        {
            "session_date": day.isoformat(),
            "exercise_pain": "1",
            "running_pain": "1",
            "running_pain_pattern": "warms_up",
            "next_morning": "same",
            "completed": "True",
        },
    )


def test_building_a_plan_from_a_signed_tendinopathy_assessment_starts_with_isometric_bridges(
    alice_client, signed_assessment
):
    response = alice_client.post(reverse("plan_create", args=[signed_assessment.pk]))
    plan = Plan.objects.get()
    assert response.url == plan.get_absolute_url()
    steps = dict(plan.prescriptions.values_list("ladder", "step_code"))
    assert steps["bridge"] == "bridge_isometric_double"
    assert "rdl" not in steps
    assert plan.patient_link.token
    page = alice_client.get(plan.get_absolute_url()).content.decode()
    assert "Bridge hold (both legs)" in page
    assert "Holding hamstring stretches" in page


def test_red_flag_at_signing_means_no_plan_and_a_refer_message(alice_client, patient, alice):
    assessment = AssessmentFactory(patient=patient, clinician=alice, saddle_numbness=True)
    assessment_sign(red_flag_screen_reason=NOT_SCREENED, assessment=assessment, clinician=alice)
    page = alice_client.get(reverse("assessment_detail", args=[assessment.pk])).content.decode()
    assert "No exercise plan: refer first" in page
    alice_client.post(reverse("plan_create", args=[assessment.pk]))
    assert not Plan.objects.exists()


def test_unsigned_assessment_cannot_be_planned(alice_client, assessment):
    alice_client.post(reverse("plan_create", args=[assessment.pk]))
    assert not Plan.objects.exists()


def test_pt_swaps_a_step_and_edits_the_dose(alice_client, phase_two_plan):
    bridge = phase_two_plan.prescriptions.get(ladder="bridge")
    response = alice_client.post(
        reverse("prescription_edit", args=[bridge.pk]),
        {
            "step_code": "bridge_single_leg",
            "sets": "3",
            "reps": "10",
            "sessions_per_week": "4",
            "note": "Slow on the way down.",
        },
    )
    assert response.status_code == 302
    bridge.refresh_from_db()
    assert (bridge.step_code, bridge.sets, bridge.reps) == ("bridge_single_leg", 3, "10")
    assert bridge.note == "Slow on the way down."


def test_bad_dose_names_the_field_and_keeps_the_input(alice_client, plan):
    bridge = plan.prescriptions.get(ladder="bridge")
    response = alice_client.post(
        reverse("prescription_edit", args=[bridge.pk]),
        {"step_code": "bridge_double", "sets": "-2", "note": "keep me"},
    )
    assert response.status_code == 200
    assert "sets" in response.context["form"].errors
    assert "keep me" in response.content.decode()


def test_two_good_sessions_propose_progress_and_the_pt_accepts(alice_client, phase_two_plan):
    plan = phase_two_plan
    today = timezone.localdate()
    for day in (today, today):  # a session date after today is refused
        assert _good_session(alice_client, plan, day).status_code == 302
    page = alice_client.get(plan.get_absolute_url()).content.decode()
    assert 'data-ladder="bridge" data-action="progress"' in page
    bridge = plan.prescriptions.get(ladder="bridge")
    response = alice_client.post(
        reverse("progression_decide", args=[bridge.pk]), {"to_step": "bridge_single_leg"}
    )
    assert response.status_code == 302
    bridge.refresh_from_db()
    assert bridge.step_code == "bridge_single_leg"
    decision = ProgressionDecision.objects.get(prescription=bridge)
    assert decision.outcome == "accepted"
    assert decision.from_step == "bridge_double"


def test_overriding_a_proposal_needs_a_reason(alice_client, phase_two_plan):
    plan = phase_two_plan
    today = timezone.localdate()
    for day in (today, today + dt.timedelta(days=1)):
        _good_session(alice_client, plan, day)
    bridge = plan.prescriptions.get(ladder="bridge")
    response = alice_client.post(
        reverse("progression_decide", args=[bridge.pk]),
        {"to_step": "bridge_single_leg_long_lever"},
    )
    assert response.status_code == 400
    bridge.refresh_from_db()
    assert bridge.step_code == "bridge_double"
    alice_client.post(
        reverse("progression_decide", args=[bridge.pk]),
        {
            "to_step": "bridge_single_leg_long_lever",
            "override_reason": "Strong; did these before injury.",
        },
    )
    bridge.refresh_from_db()
    assert bridge.step_code == "bridge_single_leg_long_lever"


def test_session_log_out_of_range_pain_is_refused_naming_the_field(alice_client, plan):
    response = alice_client.post(
        reverse("session_log_create", args=[plan.pk]),
        {"session_date": "2026-11-20", "exercise_pain": "11"},
    )
    assert response.status_code == 400
    assert "exercise_pain" in response.context["log_form"].errors
    assert not SessionLog.objects.exists()


def test_moving_to_the_next_phase_never_moves_a_runner_backwards(alice_client, plan):
    alice_client.post(reverse("plan_advance_phase", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.current_phase == 2
    bridge = plan.prescriptions.get(ladder="bridge")
    assert bridge.step_code != "bridge_isometric_double"


def test_clinician_of_another_clinic_gets_404_on_every_plan_url(client, charlie, plan):
    client.force_login(charlie)
    prescription = plan.prescriptions.first()
    for url in [
        reverse("plan_detail", args=[plan.pk]),
        reverse("prescription_edit", args=[prescription.pk]),
    ]:
        assert client.get(url).status_code == 404, url
    for url in [
        reverse("session_log_create", args=[plan.pk]),
        reverse("plan_issue", args=[plan.pk]),
        reverse("plan_advance_phase", args=[plan.pk]),
        reverse("plan_end", args=[plan.pk]),
        reverse("plan_cleared_to_run", args=[plan.pk]),
        reverse("patient_link_action", args=[plan.pk, "revoke"]),
        reverse("progression_decide", args=[prescription.pk]),
        reverse("plan_create", args=[plan.assessment.pk]),
    ]:
        assert client.post(url).status_code == 404, url
    plan.refresh_from_db()
    assert plan.patient_link.revoked_at is None


def test_patient_link_shows_first_name_only_and_takes_a_log(client, plan):
    url = reverse("patient_plan_page", args=[plan.patient_link.token])
    response = client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Hello Rosa" in page and "Runner" not in page
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    response = client.post(
        url,
        {
            "session_date": plan.starts_on.isoformat(),
            "exercise_pain": "2",
            "next_morning": "same",
            "completed": "True",
        },
    )
    assert response.status_code == 302
    log = SessionLog.objects.get()
    assert log.reported_by == "patient" and log.recorded_by is None
    assert [a.what for a in plan.patient_link.accesses.all()] == ["log", "page"]


def test_wrong_revoked_or_expired_patient_link_is_404(client, alice, plan):
    from rehab.services import patient_link_renew, patient_link_revoke, plan_end

    link = plan.patient_link
    assert client.get(reverse("patient_plan_page", args=["not-a-token"])).status_code == 404
    old_token = link.token
    patient_link_revoke(link=link, clinician=alice)
    assert client.get(reverse("patient_plan_page", args=[old_token])).status_code == 404
    patient_link_renew(link=link)
    assert client.get(reverse("patient_plan_page", args=[old_token])).status_code == 404
    assert client.get(reverse("patient_plan_page", args=[link.token])).status_code == 200
    plan_end(plan=plan)
    plan.ends_on = timezone.localdate() - dt.timedelta(
        days=plan.patient.clinic.patient_link_days + 1
    )
    plan.save()
    assert client.get(reverse("patient_plan_page", args=[link.token])).status_code == 404


def test_emailing_the_link_sends_it_to_the_patient(alice_client, plan, mailoutbox):
    plan.patient.email = "rosa@example.com"
    plan.patient.save()
    alice_client.post(reverse("patient_link_action", args=[plan.pk, "email"]))
    assert len(mailoutbox) == 1
    assert plan.patient_link.token in mailoutbox[0].body


def test_the_link_email_is_plain_text_from_the_clinic(alice_client, plan, mailoutbox):
    clinic = plan.patient.clinic
    clinic.name = "Run & Recover"
    clinic.save()
    plan.patient.email = "rosa@example.com"
    plan.patient.save()
    alice_client.post(reverse("patient_link_action", args=[plan.pk, "email"]))
    (email,) = mailoutbox
    assert email.to == ["rosa@example.com"]
    assert email.subject == "Your rehab plan from Run & Recover"
    assert email.body == (
        "Hello Rosa,\n\nYour plan, and a form to log how your sessions went, are here:\n"
        f"{patient_link_url(plan.patient_link, base_url='http://testserver')}\n\nRun & Recover"
    )


def test_a_patient_without_an_email_address_is_sent_nothing_and_the_clinician_is_told(
    alice_client, plan, mailoutbox
):
    plan.patient.email = ""
    plan.patient.save()
    response = alice_client.post(
        reverse("patient_link_action", args=[plan.pk, "email"]), follow=True
    )
    assert mailoutbox == []
    assert "This patient has no email address on record." in response.content.decode()


def test_builder_warns_when_a_phase_asks_for_more_than_five_exercises(alice_client, plan):
    from types import SimpleNamespace

    from rehab.services import MAX_EXERCISES_PER_PHASE, phase_exercise_count

    prescriptions = list(plan.prescriptions.all())
    busy_phase = SimpleNamespace(other=("Askling extender", "Bike", "Walking", "Stretch", "Core"))
    assert phase_exercise_count(prescriptions=prescriptions, phase=busy_phase) > (
        MAX_EXERCISES_PER_PHASE
    )
    assert "more than 5 exercises" not in alice_client.get(plan.get_absolute_url()).content.decode()


def test_pt_cannot_set_a_step_above_what_the_phase_allows(alice_client, plan):
    running = plan.prescriptions.get(ladder="running")
    response = alice_client.post(
        reverse("prescription_edit", args=[running.pk]),
        {"step_code": "run_hills", "session": "hills", "sessions_per_week": "3", "note": "keep"},
    )
    assert response.status_code == 200
    assert "comes with phase 4" in str(response.context["form"].errors)
    running.refresh_from_db()
    assert running.step_code == "run_continuous_easy"


def test_services_refuse_a_step_above_the_phase_naming_the_field(plan, alice):
    running = plan.prescriptions.get(ladder="running")
    with pytest.raises(ValidationError) as raised:
        prescription_update(prescription=running, step_code="run_strides_speed", session="x")
    assert set(raised.value.message_dict) == {"step_code"}
    proposal = engine.propose_progression(
        tissue_or_diagnosis=plan.diagnosis,
        ladder="running",
        current_step=running.step_code,
        logs=[],
        phase=plan.current_phase,
    )
    with pytest.raises(ValidationError) as raised:
        progression_decide(
            prescription=running,
            proposal=proposal,
            clinician=alice,
            to_step="run_hills",
            override_reason="Feels great.",
        )
    assert set(raised.value.message_dict) == {"to_step"}
    assert not ProgressionDecision.objects.exists()
    running.refresh_from_db()
    assert running.step_code == "run_continuous_easy"


def test_steps_hard_to_undo_ask_first_and_issuing_shows_it_is_working(alice_client, plan):
    page = alice_client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    for action, question in (
        (reverse("plan_advance_phase", args=[plan.pk]), "exit criteria been met?"),
        (reverse("plan_end", args=[plan.pk]), "The plan stops"),
        (reverse("patient_link_action", args=[plan.pk, "revoke"]), "stops working at once"),
    ):
        confirm = page.split(f'action="{action}"', 1)
        assert len(confirm) == 2, action
        before, after = confirm
        assert before.rsplit("<details", 1)[1].count("</details>") == 0  # inside a <details>
        assert question in after.split("</form>", 1)[0]
    assert page.count('data-busy="Preparing the PDF') >= 1
    assert "js/busy.js" in page
