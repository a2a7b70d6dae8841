"""A clinic of any size fits on the dashboard: each plan list shows its first entries, how many
there are and a link to the whole list, a page at a time; the patient list pages without
repeating anyone."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from records.views import DASHBOARD_LIST_SIZE, FULL_LIST_PER_PAGE, INBOX_SIZE, PATIENTS_PER_PAGE
from rehab.services import plan_advance_phase, session_log_create
from tests.factories import PatientFactory
from tests.rehab_factories import plan_for

TODAY = timezone.localdate()


def _plans(clinic, clinician, count, **log):
    """``count`` active plans, each with one runner log (``log``) two days ago."""
    plans = []
    for number in range(count):
        patient = PatientFactory(clinic=clinic, last_name=f"Runner{number:03d}")
        plan = plan_for(
            patient=patient, clinician=clinician, starts_on=TODAY - dt.timedelta(days=20)
        )
        values = {"exercise_pain": 2, "next_morning": "same", **log}
        session_log_create(plan=plan, session_date=TODAY - dt.timedelta(days=10), **values)
        plans.append(plan)
    return plans


def _listed(client, which, page=1):
    response = client.get(reverse("dashboard_list", args=[which]), {"page": page})
    assert response.status_code == 200
    return response


def test_the_inbox_shows_its_first_entries_the_count_and_a_link_to_all(alice_client, alice, clinic):
    plans = _plans(clinic, alice, INBOX_SIZE + 3)
    response = alice_client.get(reverse("dashboard"))
    inbox = response.context["plans"].inbox
    assert len(inbox.entries) == INBOX_SIZE and inbox.total == INBOX_SIZE + 3
    page = response.content.decode()
    assert f"Inbox: new since you last opened each plan ({INBOX_SIZE + 3})" in page
    assert f'href="{reverse("dashboard_list", args=["inbox"])}" id="inbox-more"' in page

    listed = _listed(alice_client, "inbox")
    assert {entry.plan.pk for entry in listed.context["items"]} == {plan.pk for plan in plans}
    assert listed.content.decode().count('data-plan="') == INBOX_SIZE + 3


def test_alerts_and_due_lists_are_capped_with_the_count_and_the_rest_a_click_away(
    alice_client, alice, clinic
):
    plans = _plans(clinic, alice, DASHBOARD_LIST_SIZE + 2, pain_travelled_down_leg=True)
    page = alice_client.get(reverse("dashboard"))
    lists = page.context["plans"]
    assert len(lists.alerts) == DASHBOARD_LIST_SIZE
    assert lists.alerts_total == DASHBOARD_LIST_SIZE + 2
    assert len(lists.due) == DASHBOARD_LIST_SIZE and lists.due_total == DASHBOARD_LIST_SIZE + 2
    html = page.content.decode()
    assert f"Worsening reported by patients ({DASHBOARD_LIST_SIZE + 2})" in html
    assert 'id="alerts-more"' in html and 'id="due-more"' in html
    for which in ("alerts", "due"):
        listed = _listed(alice_client, which)
        assert {plan.pk for plan in listed.context["items"]} == {plan.pk for plan in plans}


def test_a_short_list_has_no_more_link(alice_client, alice, clinic):
    _plans(clinic, alice, 1, pain_travelled_down_leg=True)
    html = alice_client.get(reverse("dashboard")).content.decode()
    assert "pain travelled down the leg" in html
    assert not any(f'id="{which}-more"' in html for which in ("alerts", "due", "inbox"))


def test_a_full_list_pages_through_everything(alice_client, alice, clinic):
    plans = _plans(clinic, alice, FULL_LIST_PER_PAGE + 1)
    first, second = _listed(alice_client, "due"), _listed(alice_client, "due", page=2)
    shown = [*first.context["items"], *second.context["items"]]
    assert len(first.context["items"]) == FULL_LIST_PER_PAGE
    assert sorted(plan.pk for plan in shown) == sorted(plan.pk for plan in plans)
    assert "Page 2 of 2" in second.content.decode()
    assert alice_client.get(reverse("dashboard_list", args=["due"]), {"page": 3}).status_code == 404


def test_full_lists_stay_in_the_users_clinic(client, alice, charlie, clinic):
    _plans(clinic, alice, 2, pain_travelled_down_leg=True)
    client.force_login(charlie)
    for which in ("alerts", "inbox", "due"):
        response = _listed(client, which)
        assert response.context["items"] == []
        assert "Runner00" not in response.content.decode()


def test_an_unknown_list_is_not_found(alice_client):
    assert alice_client.get(reverse("dashboard_list", args=["everyone"])).status_code == 404


@pytest.mark.parametrize("which", ["alerts", "inbox", "due"])
def test_a_full_list_needs_a_login(client, which):
    response = client.get(reverse("dashboard_list", args=[which]))
    assert response.status_code == 302


def test_patients_with_one_name_are_paged_without_repeats(alice_client, clinic):
    twins = PatientFactory.create_batch(
        PATIENTS_PER_PAGE + 5, clinic=clinic, first_name="Tom", last_name="Archer"
    )
    seen = []
    for number in (1, 2):
        page = alice_client.get(reverse("dashboard"), {"page": number}).context["page"]
        seen += [patient.pk for patient in page.object_list]
    assert sorted(seen) == sorted(patient.pk for patient in twins)


def test_search_finds_part_of_a_name_in_the_users_clinic_only(alice_client, clinic, other_clinic):
    PatientFactory(clinic=clinic, first_name="Tom", last_name="Archer")
    PatientFactory(clinic=other_clinic, first_name="Tim", last_name="Archer")
    page = alice_client.get(reverse("dashboard"), {"q": "rche"}).context["page"]
    assert [patient.first_name for patient in page.object_list] == ["Tom"]


def test_a_waiting_proposal_brings_an_older_plan_among_the_entries_shown(
    alice_client, alice, clinic, patient
):
    waiting = plan_advance_phase(plan=plan_for(patient=patient, clinician=alice), clinician=alice)
    for _ in range(2):
        session_log_create(plan=waiting, session_date=TODAY, exercise_pain=1, next_morning="same")
    _plans(clinic, alice, INBOX_SIZE)  # newer news than the waiting plan's runner logs
    waiting.save(update_fields=["updated_at"])  # the plan changed last: its proposal is newest
    entries = alice_client.get(reverse("dashboard")).context["plans"].inbox.entries
    assert entries[0].plan.pk == waiting.pk and entries[0].waiting
    assert len(entries) == INBOX_SIZE
