"""Every URL that shows patient data, app and admin, leaves one access record per answer.

The URL list is read from the resolver, the Django admin's included, and each URL is classified
by the function the audit middleware itself uses (``clinic.audit.reads_patient_data``): every
app URL is patient data unless it is on ``NOT_PATIENT_DATA``; in the admin, the list, change,
history and delete pages of every declared patient record are, and any other view of such an
admin that nobody classified fails here. Each URL is then requested (app URLs filled as the
access matrix fills them) and the new ``AccessEvent`` rows are compared with the answer: one
naming the user, the URL and the patient for every page or file answered, none for refusals,
redirects and pages without patient data.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from assessments.services import clear_red_flag
from clinic.audit import ANSWERED, NOT_PATIENT_DATA, admin_view, reads_patient_data
from clinic.models import AccessEvent, Patient
from clinic.patient_records import patient_records, record_for
from rehab.selectors import progression_proposals
from rehab.services import (
    issue_request_create,
    patient_link_record_access,
    progression_decide,
    questionnaire_answer,
    questionnaire_request_create,
    session_log_create,
)
from tests.factories import PatientFactory, UserFactory

# The access matrix's table of how to fill each URL, and its fixtures: the objects of clinic A
# (a patient with a draft, a signed assessment, a plan, its PDF and link) and quick PDFs.
from tests.functional.test_url_access_matrix import ROUTES, _quick_pdf, objects  # noqa: F401
from tests.rehab_factories import PHT_FINDINGS, signed_assessment

What = AccessEvent.What


@pytest.fixture
def clinic_a(request):
    return request.getfixturevalue("objects")


def _walk(patterns, namespaces=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespaces, entry


def _classified():
    app, admin_urls = {}, {}
    for namespaces, pattern in _walk(get_resolver().url_patterns):
        in_admin = "admin" in namespaces
        verdict = reads_patient_data(pattern.callback, pattern.name, admin=in_admin)
        (admin_urls if in_admin else app)[pattern.name] = (pattern, verdict)
    return app, admin_urls


APP_URLS, ADMIN_URLS = _classified()
ADMIN_READ_URLS = sorted(name for name, (_, verdict) in ADMIN_URLS.items() if verdict)


def _new_events(since: int):
    return list(AccessEvent.objects.filter(pk__gt=since).order_by("pk"))


def _last_pk() -> int:
    return AccessEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- The classification: nothing is left unclassified ----------------------------------


def test_every_url_is_classified_and_the_allow_list_is_short_and_current():
    unclassified = sorted(name for name, (_, verdict) in ADMIN_URLS.items() if verdict is None)
    assert not unclassified, (
        f"Admin views of patient records that the audit does not classify: {unclassified}. "
        "Add the view's method to clinic.audit.ADMIN_READS (it shows a record) or "
        "ADMIN_NON_READS (it shows none)."
    )
    stale = sorted(set(NOT_PATIENT_DATA) - set(APP_URLS))
    assert not stale, f"NOT_PATIENT_DATA names URLs that no longer exist: {stale}"
    # Every declared patient record's admin has its list, change, history and delete pages.
    for record in patient_records():
        prefix = f"{record.app_label}_{record.model._meta.model_name}_"
        pages = {name.removeprefix(prefix) for name in ADMIN_READ_URLS if name.startswith(prefix)}
        assert {"changelist", "change", "history", "delete"} <= pages, record.label


def test_a_new_app_url_is_audited_by_default_and_a_new_admin_view_is_unclassified():
    """The classification can fail: nothing has to be remembered for a new URL to count."""
    assert reads_patient_data(lambda request: None, "a_new_page", admin=False) is True

    class ReportingPatientAdmin(admin.ModelAdmin):
        def report_view(self, request):
            """A custom admin page, added by get_urls()."""

    custom = ReportingPatientAdmin(Patient, admin.site).report_view
    assert admin_view(custom)[1] == "report_view"
    assert reads_patient_data(custom, "clinic_patient_report", admin=True) is None


# --- The app: every URL, as a clinician of the patient's clinic --------------------------


@pytest.mark.parametrize("name", sorted(APP_URLS))
def test_every_answered_app_request_records_exactly_one_read(name, client, clinic_a, alice):
    _, patient_data = APP_URLS[name]
    route = ROUTES[name]  # the access matrix fails first when a URL has no line there
    url = reverse(name, kwargs=route.fill(clinic_a))
    client.force_login(alice)
    answered = 0
    for method in ("GET", "POST"):
        since = _last_pk()
        response = client.get(url) if method == "GET" else client.post(url)
        events = _new_events(since)
        if not (patient_data and response.status_code in ANSWERED):
            assert events == [], (name, method, response.status_code)
            continue
        answered += 1
        assert len(events) == 1, (name, method, events)
        event = events[0]
        assert (event.user, event.view, event.patient_id) == (alice, name, clinic_a["patient"].pk)
        assert event.what in What.values and event.what not in (What.ADMIN, What.ADMIN_LIST)
        assert event.object_type in {record.label for record in patient_records()}
        assert event.ip == "127.0.0.1"
        assert "Runner" not in event.object_repr
        if name == "logout":
            break
    if patient_data:
        shows = [status for status in route.member if status in ANSWERED]
        assert answered == len(shows), (name, route.member)  # the matrix's expected answers


def test_a_clinicians_read_is_one_insert(alice_client, clinic_a):
    with CaptureQueriesContext(connection) as queries:
        alice_client.get(reverse("plan_detail", args=[clinic_a["plan"].pk]))
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "clinic_accessevent"')]
    assert len(inserts) == 1


# --- The admin: every list, change, history and delete page of every patient record ------


@pytest.fixture
def dana(clinic):
    user = UserFactory(username="dana", clinic=clinic, clinic__role="clinic_admin", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["clinic", "assessments", "rehab"])
    )
    return user


@pytest.fixture
def every_record(clinic_a, alice):
    """A row of every declared patient record, all of the one patient."""
    plan = clinic_a["plan"]
    session_log_create(
        plan=plan, recorded_by=alice, session_date=plan.starts_on, exercise_pain=2, running_pain=3
    )
    prescription, proposal = progression_proposals(plan=plan)[0]
    progression_decide(prescription=prescription, proposal=proposal, clinician=alice)
    asked = questionnaire_request_create(plan=plan, measure="pain_rest", requested_by=alice)
    questionnaire_answer(request=asked, responses={"pain": 3}, measured_on=plan.starts_on)
    patient_link_record_access(link=plan.patient_link, what="page")
    issue_request_create(plan=plan, clinician=alice)  # runs at once (the suite's tasks do)
    AccessEvent.objects.create(patient=clinic_a["patient"], user=alice, what=What.PATIENT)
    flagged = signed_assessment(
        patient=clinic_a["patient"],
        clinician=alice,
        findings={**PHT_FINDINGS, "cancer_history": True},
    )
    clear_red_flag(
        assessment=flagged,
        code="serious_pathology",
        evidence="history_clarified",
        note="Treated in 2005, discharged in 2010.",
        cleared_by=alice,
    )
    return clinic_a


def _admin_url(name, pattern, patient):
    model_admin, _ = admin_view(pattern.callback)
    row = record_for(model_admin.model).rows(patient.pk).order_by("pk").first()
    assert row is not None, f"no {model_admin.model._meta.label} row to open"
    # Django's own admin URLs name their groups; django-simple-history's do not.
    args = [row.pk, lambda: row.history.order_by("history_id").first().history_id]
    args = [arg() if callable(arg) else arg for arg in args[: pattern.pattern.regex.groups]]
    return reverse(f"admin:{name}", args=args), model_admin, row


@pytest.mark.parametrize("name", ADMIN_READ_URLS)
def test_every_admin_page_of_a_patient_record_records_its_read(name, client, every_record, dana):
    patient = every_record["patient"]
    pattern, _ = ADMIN_URLS[name]
    url, model_admin, row = _admin_url(name, pattern, patient)
    client.force_login(dana)
    since = _last_pk()
    response = client.get(url)
    events = _new_events(since)
    if response.status_code not in ANSWERED:  # e.g. deleting the append-only audit: 403
        assert response.status_code == 403 and events == [], (name, response.status_code)
        return
    assert response.status_code == 200, name
    assert events, name
    for event in events:
        assert (event.user, event.view, event.patient_id) == (dana, f"admin:{name}", patient.pk)
        assert event.object_type == model_admin.model._meta.label_lower
    if name.endswith("_changelist"):
        listed = [obj.pk for obj in response.context_data["cl"].result_list]
        assert sorted(event.object_id for event in events) == sorted(listed)
        assert {event.what for event in events} == {What.ADMIN_LIST}
    else:
        assert [(event.what, event.object_id) for event in events] == [(What.ADMIN, row.pk)]


def test_an_admin_search_records_the_term_and_each_patient_listed(client, clinic, dana):
    rosa = PatientFactory(clinic=clinic, first_name="Rosa", last_name="Runner")
    ruth = PatientFactory(clinic=clinic, first_name="Ruth", last_name="Runner")
    PatientFactory(clinic=clinic, first_name="Otto", last_name="Other")
    client.force_login(dana)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("admin:clinic_patient_changelist"), {"q": "Runner"})
    events = AccessEvent.objects.order_by("patient_id")
    assert [(e.patient_id, e.what, e.reason) for e in events] == [
        (rosa.pk, What.ADMIN_LIST, "search: Runner"),
        (ruth.pk, What.ADMIN_LIST, "search: Runner"),
    ]
    inserts = [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "clinic_accessevent"')]
    assert len(inserts) == 1


def test_another_clinics_record_in_the_admin_records_nothing(client, other_clinic, dana):
    stranger = PatientFactory(clinic=other_clinic)
    client.force_login(dana)
    response = client.get(reverse("admin:clinic_patient_change", args=[stranger.pk]))
    assert response.status_code == 302  # the admin's "does not exist" redirect
    assert not AccessEvent.objects.exists()


def test_resolve_finds_the_same_classification_as_the_walk(clinic_a):
    """The middleware classifies request.resolver_match; the test classifies the patterns."""
    match = resolve(reverse("admin:clinic_patient_changelist"))
    assert reads_patient_data(match.func, match.url_name, admin="admin" in match.namespaces)
    match = resolve(reverse("dashboard"))
    assert not reads_patient_data(match.func, match.url_name, admin=False)


def test_an_admin_actions_confirmation_page_records_the_chosen_patients(client, clinic, dana):
    rosa, _ = PatientFactory(clinic=clinic), PatientFactory(clinic=clinic)
    client.force_login(dana)
    response = client.post(
        reverse("admin:clinic_patient_changelist"),
        {"action": "delete_selected", "_selected_action": [rosa.pk]},
    )
    assert response.status_code == 200  # "Are you sure?", naming the patient
    assert [(e.patient_id, e.what, e.reason) for e in AccessEvent.objects.all()] == [
        (rosa.pk, What.ADMIN_LIST, "action")
    ]
    assert Patient.objects.filter(pk=rosa.pk).exists()
