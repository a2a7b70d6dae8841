"""The runner's link on a phone (issue 13, items 3-5): the next-morning answer, corrections for
48 hours (then only by the PT), an unanswered morning treated as unknown, pain as large radio
buttons with nothing pre-chosen, and each prescribed item with the PDF's own card text."""

import datetime as dt
import html
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from rehab import services
from rehab.models import RUNNER_CORRECTION_WINDOW, PatientLinkAccess, SessionLog
from rehab.pdf.context import plan_pdf_context
from rehab.selectors import dashboard_plans, progression_proposals
from rehab.services import plan_create, session_log_create
from tests.rehab_factories import signed_assessment

TODAY = timezone.localdate()
STARTED = TODAY - dt.timedelta(days=10)


@pytest.fixture
def plan(patient, alice):
    plan = plan_create(
        assessment=signed_assessment(patient=patient, clinician=alice), clinician=alice
    )
    plan.starts_on = STARTED
    # Phase 3, where the bridge has no phase ceiling: the tests watch the next-morning rule,
    # which a ceiling's hold would hide.
    plan.current_phase = 3
    plan.save(update_fields=["starts_on", "current_phase"])
    for prescription in plan.prescriptions.all():  # the sessions below count at this step
        prescription.step_since = STARTED
        prescription.save(update_fields=["step_since"])
    return plan


@pytest.fixture
def link_url(plan):
    return reverse("patient_plan_page", args=[plan.patient_link.token])


def _log(plan, days_ago, *, next_morning="", logged_hours_ago=0, **fields):
    log = session_log_create(
        plan=plan,
        session_date=TODAY - dt.timedelta(days=days_ago),
        exercise_pain=fields.pop("exercise_pain", 1),
        completed=True,
        next_morning=next_morning,
        **fields,
    )
    if logged_hours_ago:
        log.created_at = timezone.now() - dt.timedelta(hours=logged_hours_ago)
        log.save(update_fields=["created_at"])
    return log


def _bridge(plan):
    return next(p for pr, p in progression_proposals(plan=plan) if pr.ladder == "bridge")


def _page(response) -> str:
    return html.unescape(response.content.decode())


# --- 3. The next morning ------------------------------------------------------------------


def test_next_morning_answer_is_stored_on_the_latest_session_and_moves_the_proposal(
    client, plan, link_url
):
    earlier = _log(plan, 3, next_morning="same")
    latest = _log(plan, 1)  # logged straight after yesterday's session: no morning yet
    assert _bridge(plan).rule == "hold_awaiting_next_morning"

    page = _page(client.get(link_url))
    assert "How does it feel this morning compared with before yesterday's session?" in page
    response = client.post(
        reverse("patient_next_morning", args=[plan.patient_link.token]),
        {"morning-next_morning": "better"},
    )
    assert response.status_code == 302

    latest.refresh_from_db()
    earlier.refresh_from_db()
    assert latest.next_morning == "better" and earlier.next_morning == "same"
    assert (
        latest.history.first().history_change_reason == "corrected by the runner through the link"
    )
    assert _bridge(plan).action == "progress"  # two good sessions in a row now
    assert "How does it feel this morning" not in _page(client.get(link_url))  # answered
    assert plan.patient_link.accesses.filter(what=PatientLinkAccess.What.EDIT).count() == 1


def test_a_missing_morning_answer_is_refused_with_the_question_named(client, plan, link_url):
    latest = _log(plan, 1)
    response = client.post(
        reverse("patient_next_morning", args=[plan.patient_link.token]), {"morning-x": "1"}
    )
    assert response.status_code == 400
    assert list(response.context["morning_form"].errors) == ["next_morning"]
    assert 'href="#id_morning-next_morning_0"' in response.content.decode()
    latest.refresh_from_db()
    assert latest.next_morning == ""


def test_no_morning_question_for_a_session_logged_today_or_after_48_hours(client, plan, link_url):
    _log(plan, 0)
    assert "How does it feel this morning" not in _page(client.get(link_url))
    SessionLog.objects.get().delete()
    _log(plan, 3, logged_hours_ago=49)
    assert "How does it feel this morning" not in _page(client.get(link_url))


def test_an_unanswered_morning_is_treated_as_unknown_after_48_hours(alice_client, plan):
    _log(plan, 3, next_morning="same", logged_hours_ago=72)
    latest = _log(plan, 2, logged_hours_ago=47)
    assert _bridge(plan).rule == "hold_awaiting_next_morning"

    latest.created_at = timezone.now() - RUNNER_CORRECTION_WINDOW
    latest.save(update_fields=["created_at"])
    proposal = _bridge(plan)
    assert proposal.rule == "hold_next_morning_unknown"
    assert "next-morning answer not given within 48 hours: treated as unknown" in proposal.reason
    page = _page(alice_client.get(reverse("plan_detail", args=[plan.pk])))
    assert "treated as unknown" in page
    assert "Unknown (not given within 48 hours)" in page


def test_dashboard_follow_up_does_not_wait_for_an_unanswered_morning(alice, plan):
    _log(plan, 9, logged_hours_ago=9 * 24)  # no morning answer, ever
    assert dashboard_plans(user=alice, size=8, inbox_size=0).due == [plan]


# --- 3. Corrections: the runner for 48 hours, then only the PT ------------------------------


def _correction(**changes):
    data = {
        "session_date": (TODAY - dt.timedelta(days=1)).isoformat(),
        "exercise_pain": "1",
        "running_pain": "none",
        "completed": "True",
    }
    return {**data, **changes}


def test_runner_corrects_a_log_within_48_hours_and_the_history_keeps_both(client, plan, link_url):
    log = _log(plan, 1, logged_hours_ago=47)
    edit = reverse("patient_session_edit", args=[plan.patient_link.token, log.pk])
    assert f'href="{edit}"' in client.get(link_url).content.decode()
    assert client.get(edit).status_code == 200

    response = client.post(edit, _correction(exercise_pain="4", next_morning="worse"))
    assert response.status_code == 302
    log.refresh_from_db()
    assert (log.exercise_pain, log.next_morning) == (4, "worse")
    after, before = log.history.all()[:2]
    assert (before.exercise_pain, after.exercise_pain) == (1, 4)
    assert after.history_user is None and "runner" in after.history_change_reason


def test_runner_correction_after_48_hours_is_refused_with_the_reason(client, plan, link_url):
    log = _log(plan, 3, logged_hours_ago=49)
    edit = reverse("patient_session_edit", args=[plan.patient_link.token, log.pk])
    assert f'href="{edit}"' not in client.get(link_url).content.decode()
    assert "more than 48 hours ago" in client.get(edit).content.decode()

    versions = log.history.count()
    response = client.post(edit, _correction(exercise_pain="6"))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == [
        "This session was logged more than 48 hours ago, so it can no longer be changed here. "
        "Tell your physio what to correct: they can change it."
    ]
    log.refresh_from_db()
    assert log.exercise_pain == 1 and log.history.count() == versions


def test_runner_cannot_correct_a_session_the_pt_logged_nor_another_plans(
    client, alice, plan, patient
):
    pt_log = session_log_create(
        plan=plan, recorded_by=alice, session_date=TODAY, exercise_pain=2, completed=True
    )
    edit = reverse("patient_session_edit", args=[plan.patient_link.token, pt_log.pk])
    assert client.get(edit).status_code == 404
    other = plan_create(
        assessment=signed_assessment(patient=patient, clinician=alice), clinician=alice
    )
    theirs = _log(other, 0)
    edit = reverse("patient_session_edit", args=[plan.patient_link.token, theirs.pk])
    assert client.post(edit, _correction()).status_code == 404


def test_pt_corrects_a_log_after_48_hours_and_is_named_in_the_history(alice_client, alice, plan):
    log = _log(plan, 3, logged_hours_ago=72)
    edit = reverse("session_log_edit", args=[log.pk])
    assert (
        f'href="{edit}"'
        in alice_client.get(reverse("plan_detail", args=[plan.pk])).content.decode()
    )
    response = alice_client.post(
        edit, _correction(session_date=log.session_date.isoformat(), next_morning="same")
    )
    assert response.status_code == 302
    log.refresh_from_db()
    assert log.next_morning == "same"
    assert log.history.first().history_user == alice


def test_pt_of_another_clinic_cannot_open_the_correction(client, charlie, plan):
    log = _log(plan, 1)
    client.force_login(charlie)
    assert client.get(reverse("session_log_edit", args=[log.pk])).status_code == 404


# --- 4. Pain as large radio buttons, nothing pre-chosen --------------------------------------


def test_pain_is_a_fieldset_of_eleven_labelled_radios_and_nothing_is_pre_chosen(client, link_url):
    page = client.get(link_url).content.decode()
    fieldset = re.search(r'<div id="div_id_exercise_pain".*?</fieldset>', page, re.S).group(0)
    assert "<legend" in fieldset and "Worst pain during the exercises (0-10)" in fieldset
    radios = re.findall(r'<input type="radio"[^>]*name="exercise_pain"[^>]*>', fieldset)
    assert [re.search(r'value="(\d+)"', r).group(1) for r in radios] == [str(i) for i in range(11)]
    for i in range(11):
        assert re.search(rf'<label for="id_exercise_pain_{i}"[^>]*>\s*{i}\s*</label>', fieldset)
    form = re.search(r'<form[^>]*aria-labelledby="log-heading">.*?</form>', page, re.S)
    assert " checked" not in form.group(0)  # no pain, no run answer, no "completed" ticked
    completed = re.search(r'<div id="div_id_completed".*?</fieldset>', page, re.S).group(0)
    assert re.findall(r'value="(True|False)"', completed) == ["True", "False"]
    assert "<legend" in completed and "required" in completed
    assert 'style="' not in page and "<style" not in page  # the CSP allows no inline style


def test_completed_must_be_answered_and_the_error_summary_links_to_it(client, plan, link_url):
    response = client.post(
        link_url, {"session_date": TODAY.isoformat(), "exercise_pain": "2", "notes": "kept"}
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["completed"]
    page = response.content.decode()
    assert page.index('id="form-errors"') < page.index("When to stop and call")
    assert 'href="#id_completed_0"' in page and "kept" in page
    assert not SessionLog.objects.exists()


def test_did_not_run_not_yet_and_not_completed_are_stored_as_chosen(client, plan, link_url):
    response = client.post(
        link_url,
        {
            "session_date": TODAY.isoformat(),
            "exercise_pain": "0",
            "running_pain": "none",
            "next_morning": "not_yet",
            "completed": "False",
        },
    )
    assert response.status_code == 302
    log = SessionLog.objects.get()
    assert (log.exercise_pain, log.running_pain, log.completed) == (0, None, False)
    assert log.next_morning == ""  # asked for tomorrow


# --- 5. The plan on the phone: the PDF's own card text ---------------------------------------


def _cards(plan):
    context = plan_pdf_context(plan=plan, for_link=True)
    return context, [*context["exercises"], *([context["running"]] if context["running"] else [])]


def test_each_item_shows_the_pdf_cards_how_to_dose_illustration_and_feel(client, plan, link_url):
    page = _page(client.get(link_url))
    context, cards = _cards(plan)
    assert len(cards) == plan.prescriptions.count() >= 2
    assert page.index("When to stop and call") < page.index("Your exercises now")
    for group in context["call_groups"]:
        for item in group.items:
            assert item in page
    for card in cards:
        item = re.search(rf'<details[^>]*id="item-{card.key}".*?</details>', page, re.S).group(0)
        assert "<summary" in item and card.dose_summary in item
        for line in card.step.how_to:
            assert f"<li>{line}</li>" in item
        for line in card.dose_lines:
            assert f"<dt>{line.label}</dt><dd>{line.value}</dd>" in item
        assert card.step.should_feel in item
        assert f'src="/static/{card.step.static_path}"' in item
        if card.note:
            assert card.note in item
    assert reverse("patient_plan_pdf", args=[plan.patient_link.token]) not in page  # not issued


@pytest.mark.pdf
def test_the_page_and_the_issued_pdf_print_the_same_card_text(alice_client, client, plan, link_url):
    assert alice_client.post(reverse("plan_issue", args=[plan.pk])).status_code == 302
    page = _page(client.get(link_url))
    pdf_url = reverse("patient_plan_pdf", args=[plan.patient_link.token])
    assert f'href="{pdf_url}"' in page
    pdf = client.get(pdf_url).content
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    pdf_words = re.sub(r"\s+", " ", pdf_text.replace("-\n", "")).replace("\u00ad", "")
    _, cards = _cards(plan)
    for card in cards:
        for text in (card.step.how_to[0], card.dose_summary):
            assert text in page
            assert " ".join(text.split()[:4]) in pdf_words, text


def test_answers_and_corrections_count_towards_the_hourly_limit(client, plan, monkeypatch):
    monkeypatch.setattr(services, "LINK_POSTS_PER_HOUR", 1)
    log = _log(plan, 1)
    token = plan.patient_link.token
    morning = reverse("patient_next_morning", args=[token])
    assert client.post(morning, {"morning-next_morning": "same"}).status_code == 302
    edit = reverse("patient_session_edit", args=[token, log.pk])
    response = client.post(edit, _correction(exercise_pain="5"))
    assert response.status_code == 429 and response["Retry-After"] == "3600"
    log.refresh_from_db()
    assert (log.next_morning, log.exercise_pain) == ("same", 1)


@pytest.mark.parametrize("name", ["patient_next_morning", "patient_session_edit"])
def test_a_dead_token_gets_the_dead_link_page_and_changes_nothing(client, plan, name):
    log = _log(plan, 1)
    args = ["no-such-token"] + ([log.pk] if name == "patient_session_edit" else [])
    response = client.post(reverse(name, args=args), _correction(exercise_pain="7"))
    assert response.status_code == 404
    assert "Rosa" not in response.content.decode()
    log.refresh_from_db()
    assert (log.exercise_pain, log.next_morning) == (1, "")
