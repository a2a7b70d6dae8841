"""Every page a clinician opens costs a fixed number of queries, the same for one patient with a
short record as for a clinic of many patients with long ones (benchmarks/pages.py times them).

The counts are pinned: a new query on a page is a decision, made here, not a drift.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from rehab.services import outcome_measurement_record, session_log_create
from tests.factories import AssessmentFactory, PatientFactory
from tests.rehab_factories import PHT_FINDINGS, as_posted, plan_for

TODAY = timezone.localdate()
LEFS_ITEMS = [f"lefs_{n:02d}" for n in range(1, 21)]

# Measured on SQLite; PostgreSQL makes the same queries.
PAGE_QUERIES = {
    # 16 -> 13: the alerts, due list and inbox share one query of the active plans (three
    # before); the patient list reads the user's clinics first (+1) so the database pages
    # through the name index; "seen recently" is two index-sized queries (one aggregate
    # before); questionnaires are loaded only when an entry shown has one (none here: alice
    # recorded them). 13 -> 12: "seen recently" is one query (a UNION of the days the user
    # assessed or followed up each patient, grouped), its SQL compiled once per process.
    "dashboard": 12,
    "dashboard search": 12,
    "patient list, page 2": 12,
    # 16 -> 14: the plans are read once for the timeline and the list beside it (twice before);
    # whether the user is the clinic's admin (the anonymise link) comes with the patient, from
    # the membership its scoping joins.
    "patient": 14,
    # 19 -> 16: the page of the history and its total are one query (a count, then a slice);
    # the page names the row each change is diffed against, read with the page's rows of its
    # kind (a query per kind with a change on the page fewer: two here).
    "patient history": 16,
    "new patient form": 7,
    "patient edit form": 7,
    "new assessment form": 7,
    "draft assessment edit": 7,
    "draft assessment": 7,
    # 10 -> 9: the "start from" choices (clinic templates, the patient's other plans) are one
    # UNION query.
    "signed assessment": 9,
    "differential panel update": 6,
    # The plan page loads its prescriptions, logs and decisions once for the proposals, the session
    # table and the charts (was 26: each part read its own), its link with the plan; the audit is
    # asked whether the patient was anonymised only when the link is revoked. 18 -> 17: the
    # composer's "start from" choices are one UNION query (templates and earlier plans were two).
    # 17 -> 15: the assessment is read on its own (+1: cheaper than deferring eighty joined
    # columns), each prescription's creation comes with the prescriptions (-1); the latest PDF
    # request (-1) and the choices to start a phase from (-1) are read only when the page shows
    # them, the plan read knowing whether it will (here: no request, nothing to start from).
    # 15 -> 14: the assessment's shown columns are joined to the plan again, now that its query
    # is compiled once per process (clinic.compiled) and deferring costs nothing per page.
    "plan": 14,
    "session log edit": 8,
    "prescription edit": 8,
    "outcomes": 8,
    "outcome form (LEFS)": 9,
    "differential knowledge": 6,
}


def _log(plan, days_ago, **fields):
    values = {"exercise_pain": 2, "next_morning": "same", **fields}
    return session_log_create(plan=plan, session_date=TODAY - dt.timedelta(days=days_ago), **values)


def _lefs(patient, day, user):
    return outcome_measurement_record(
        patient=patient,
        measure="lefs",
        measured_on=day,
        responses=dict.fromkeys(LEFS_ITEMS, 3),
        recorded_by=user,
    )


@pytest.fixture
def record(patient, alice):
    """One patient with a plan (two sessions, one LEFS) and a draft assessment."""
    plan = plan_for(patient=patient, clinician=alice, starts_on=TODAY - dt.timedelta(days=20))
    first_log = _log(plan, 3)
    _log(plan, 2, next_morning="worse")
    _lefs(patient, TODAY - dt.timedelta(days=5), alice)
    draft = AssessmentFactory(patient=patient, clinician=alice, **PHT_FINDINGS)
    return {"plan": plan, "draft": draft, "log": first_log}


def _grow(clinic, alice, patient, plan):
    """Twenty more patients (four with plans and runner logs) and a longer record."""
    for _ in range(4):
        other = PatientFactory(clinic=clinic)
        other_plan = plan_for(
            patient=other, clinician=alice, starts_on=TODAY - dt.timedelta(days=20)
        )
        _log(other_plan, 2, next_morning="worse")
        _log(other_plan, 1, next_morning="worse", pain_travelled_down_leg=True)
        AssessmentFactory(patient=other, clinician=alice)
    PatientFactory.create_batch(16, clinic=clinic, last_name="Runner")
    for days_ago in range(4, 14):
        _log(plan, days_ago, notes=f"Day {days_ago}")
    for days_ago in (8, 12):
        _lefs(patient, TODAY - dt.timedelta(days=days_ago), alice)
    AssessmentFactory(patient=patient, clinician=alice, **PHT_FINDINGS)


def _pages(patient, record):
    plan, draft = record["plan"], record["draft"]
    prescription = plan.prescriptions.order_by("pk").first()
    posted = {**as_posted(PHT_FINDINGS), "assessed_on": TODAY.isoformat(), "side": "right"}
    return {
        "dashboard": ("get", reverse("dashboard"), {}),
        "dashboard search": ("get", reverse("dashboard"), {"q": patient.last_name}),
        "patient list, page 2": ("get", reverse("dashboard"), {"page": 2}),
        "patient": ("get", reverse("patient_detail", args=[patient.pk]), {}),
        "patient history": ("get", reverse("patient_history", args=[patient.pk]), {}),
        "new patient form": ("get", reverse("patient_create"), {}),
        "patient edit form": ("get", reverse("patient_edit", args=[patient.pk]), {}),
        "new assessment form": ("get", reverse("assessment_create", args=[patient.pk]), {}),
        "draft assessment edit": ("get", reverse("assessment_edit", args=[draft.pk]), {}),
        "draft assessment": ("get", reverse("assessment_detail", args=[draft.pk]), {}),
        "signed assessment": ("get", reverse("assessment_detail", args=[plan.assessment_id]), {}),
        "differential panel update": (
            "post",
            reverse("assessment_preview", args=[patient.pk]),
            posted,
        ),
        "plan": ("get", reverse("plan_detail", args=[plan.pk]), {}),
        "session log edit": ("get", reverse("session_log_edit", args=[record["log"].pk]), {}),
        "prescription edit": ("get", reverse("prescription_edit", args=[prescription.pk]), {}),
        "outcomes": ("get", reverse("outcome_list", args=[patient.pk]), {}),
        "outcome form (LEFS)": ("get", reverse("outcome_record", args=[patient.pk, "lefs"]), {}),
        "differential knowledge": ("get", reverse("differential_knowledge"), {}),
    }


@pytest.mark.parametrize("page", PAGE_QUERIES)
def test_every_clinician_page_costs_the_same_queries_for_a_small_and_a_large_clinic(
    page, alice_client, alice, clinic, patient, record, django_assert_num_queries
):
    method, url, data = _pages(patient, record)[page]

    def fetch():
        htmx = {"HTTP_HX_REQUEST": "true"} if method == "post" else {}  # as the panel is sent
        response = getattr(alice_client, method)(url, data, **htmx)
        assert response.status_code == 200

    fetch()  # the session's first request may differ (two-factor and session bookkeeping)
    with django_assert_num_queries(PAGE_QUERIES[page]):
        fetch()
    _grow(clinic, alice, patient, record["plan"])
    fetch()
    with django_assert_num_queries(PAGE_QUERIES[page]):
        fetch()
