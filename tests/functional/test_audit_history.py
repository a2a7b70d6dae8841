"""The patient's history page: every change (with the changed fields) and every read, newest
first, paginated, for the clinicians of the patient's clinic, at a bounded number of queries.
"""

from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clinic.models import AccessEvent
from records.history import StreamPaginator, compiled_audit_stream, patient_audit_stream
from records.views import HISTORY_PER_PAGE
from rehab.services import plan_create, plan_issue, session_log_create
from tests.factories import PatientFactory
from tests.rehab_factories import signed_assessment


def _history(client, patient, **params):
    return client.get(reverse("patient_history", args=[patient.pk]), params)


def test_the_fixed_cast_treating_clinician_colleague_other_clinic_anonymous(
    client, alice, bob, charlie, patient
):
    url = reverse("patient_history", args=[patient.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    for user, status in ((alice, 200), (bob, 200), (charlie, 404)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
    assert b"Rosa" not in response.content and b"Runner" not in response.content


def test_a_change_shows_who_when_and_the_changed_field_old_and_new(
    alice_client, alice, bob, client, patient
):
    data = {
        "first_name": "Rosa",
        "last_name": "Runner",
        "date_of_birth": "1988-04-02",
        "sex": "female",
        "record_number": patient.record_number,
        "notes": "Half marathon in May",
    }
    alice_client.post(reverse("patient_edit", args=[patient.pk]), data)
    client.force_login(bob)
    client.get(reverse("patient_detail", args=[patient.pk]))

    entries = _history(client, patient).context["entries"]

    bob_read, alice_change, created = entries  # alice's save redirected: no read of its own
    assert (bob_read.kind, bob_read.who, bob_read.ip) == ("read", bob.get_full_name(), "127.0.0.1")
    assert bob_read.action == "Opened the patient record"
    assert (alice_change.kind, alice_change.action, alice_change.who) == (
        "change",
        "changed",
        alice.get_full_name(),
    )
    assert [(c.field, c.old, c.new) for c in alice_change.changes] == [
        ("notes", "—", "Half marathon in May")
    ]
    assert (created.action, created.record) == ("created", f"Patient #{patient.pk}")
    assert [entry.at for entry in entries] == sorted((e.at for e in entries), reverse=True)
    # The opening of the history is itself a read, listed from the next opening on.
    history_read = _history(client, patient).context["entries"][0]
    assert (history_read.kind, history_read.action) == ("read", "Opened the record's history")


def test_changes_of_assessments_plans_prescriptions_logs_and_documents_are_listed(
    alice_client, alice, patient
):
    plan = plan_create(
        assessment=signed_assessment(patient=patient, clinician=alice), clinician=alice
    )
    bridge = plan.prescriptions.get(ladder="bridge")
    alice_client.post(
        reverse("prescription_edit", args=[bridge.pk]),
        {"step_code": bridge.step_code, "sets": "4", "reps": "6"},
    )
    session_log_create(plan=plan, recorded_by=alice, session_date=plan.starts_on, exercise_pain=2)
    plan_issue(plan=plan, clinician=alice, pdf=b"%PDF-1.4")
    page = _history(alice_client, patient)
    records = {entry.record.split(" #")[0] for entry in page.context["entries"]}
    assert {
        "Patient",
        "Assessment",
        "Plan",
        "Prescription",
        "Session log",
        "Issued document",
        "Patient link",
    } <= records
    bridge_edit = next(
        e
        for e in page.context["entries"]
        if e.record == f"Prescription #{bridge.pk}" and e.action == "changed"
    )
    assert ("sets", "4") in [(c.field, c.new) for c in bridge_edit.changes]
    assert "<strong>sets</strong>" in page.content.decode()


def _fill(client, patient, reads):
    AccessEvent.objects.bulk_create(
        AccessEvent(patient=patient, what=AccessEvent.What.PATIENT) for _ in range(reads)
    )


def test_the_history_is_paginated_newest_first(alice_client, patient):
    _fill(alice_client, patient, HISTORY_PER_PAGE + 10)
    first = _history(alice_client, patient)
    second = _history(alice_client, patient, page=2)
    assert len(first.context["entries"]) == HISTORY_PER_PAGE
    # + the patient's creation; this opening is recorded once answered, so page 2 has it
    assert first.context["page"].paginator.count == HISTORY_PER_PAGE + 11
    assert second.context["page"].paginator.count == HISTORY_PER_PAGE + 12
    assert first.context["entries"][-1].at >= second.context["entries"][0].at
    assert "Older" in first.content.decode()


def test_the_query_count_does_not_grow_with_the_history(alice_client, alice, patient):
    """The same kinds of entries on page 1, behind a short and a long history: same queries."""
    plan = plan_create(
        assessment=signed_assessment(patient=patient, clinician=alice), clinician=alice
    )
    bridge = plan.prescriptions.get(ladder="bridge")

    def grow(rounds):
        for n in range(rounds):
            session_log_create(
                plan=plan, recorded_by=alice, session_date=plan.starts_on, exercise_pain=n % 10
            )
            bridge.note = f"note {n}"
            bridge.save()  # a change: its diff needs the row before it
            _fill(alice_client, patient, 1)

    def queries_for_page_one():
        with CaptureQueriesContext(connection) as captured:
            response = _history(alice_client, patient)
        assert {e.record.split(" #")[0] for e in response.context["entries"]} == {
            "Session log",
            "Prescription",
            "",
        }
        return len(captured.captured_queries)

    grow(HISTORY_PER_PAGE // 3 + 1)
    short = queries_for_page_one()
    grow(120)
    long = queries_for_page_one()
    assert long == short, (short, long)
    assert long <= 16, long


def test_the_stream_is_one_union_query_counted_and_sliced_in_the_database(patient):
    stream = patient_audit_stream(patient=patient)
    with CaptureQueriesContext(connection) as captured:
        assert stream.count() == 1
        assert len(list(stream[:10])) == 1
    assert len(captured.captured_queries) == 2
    assert "UNION" in captured.captured_queries[1]["sql"].upper()


def test_the_stream_compiled_once_per_process_counts_and_pages_each_patient_as_the_queryset(
    patient, alice, clinic
):
    """The SQL is compiled for no one patient and kept; each patient's id goes into its
    parameters, so a second patient's page is theirs alone."""
    other = PatientFactory(clinic=clinic)
    for number in range(7):
        for someone in (patient, other):
            someone.notes = f"Note {number}"
            someone.save()
            AccessEvent.objects.create(patient=someone, user=alice, what=AccessEvent.What.PATIENT)
    AccessEvent.objects.create(patient=other, user=alice, what=AccessEvent.What.PATIENT)
    for someone in (patient, other, patient):
        stream = patient_audit_stream(patient=someone)
        compiled = compiled_audit_stream(patient=someone)
        with CaptureQueriesContext(connection) as captured:
            assert compiled.count() == stream.count() > 10
            for window in (slice(0, 5), slice(5, 10), slice(10, 100)):
                rows = [(kind, row) for kind, row, *_ in compiled[window]]
                assert rows == [(kind, row) for kind, row, *_ in stream[window]]
        assert len(captured.captured_queries) == 2 + 2 * 3
    assert compiled_audit_stream(patient=other).count() == (
        compiled_audit_stream(patient=patient).count() + 1
    )


def test_a_changed_field_shows_its_old_value_struck_out_and_its_new_one_both_escaped(
    alice_client, patient
):
    patient.notes = "<b>before</b>"
    patient.save()
    patient.notes = "<i>after</i>"
    patient.save()
    page = _history(alice_client, patient).content.decode()
    assert "<del>&lt;b&gt;before&lt;/b&gt;</del> → <ins>&lt;i&gt;after&lt;/i&gt;</ins></li>" in page
    assert "<ins>&lt;b&gt;before&lt;/b&gt;</ins></li>" in page  # the change that set it
    assert "<b>before" not in page and "<i>after" not in page


def test_the_stream_paginator_reads_a_page_and_the_total_in_one_query_as_paginator_pages(
    patient, alice
):
    for _ in range(11):
        AccessEvent.objects.create(patient=patient, user=alice, what=AccessEvent.What.PATIENT)
    stream = compiled_audit_stream(patient=patient)
    for number in (None, "1", "2", "3", "4", "0", "-1", "x", "2.0", 3):
        expected = Paginator(stream, 5).get_page(number)
        with CaptureQueriesContext(connection) as captured:
            page = StreamPaginator(stream, 5).get_page(number)
        assert (page.number, page.paginator.count, page.paginator.num_pages) == (
            expected.number,
            expected.paginator.count,
            expected.paginator.num_pages,
        ), number
        assert list(page.object_list) == list(expected.object_list), number
        # Past the end: the window finds no row, then Paginator's count and last page.
        queries = {"4": 3, "0": 2, "-1": 2}.get(number, 1)
        assert len(captured.captured_queries) == queries, number


def test_each_change_is_diffed_against_the_row_before_it_on_its_page_or_the_next(
    alice_client, patient
):
    for text in ("one", "two", "three"):
        patient.notes = text
        patient.save()
    _fill(alice_client, patient, HISTORY_PER_PAGE - 2)
    first = _history(alice_client, patient).context["entries"]
    second = _history(alice_client, patient, page=2).context["entries"]  # one read later

    def notes(entry):
        return [(c.old, c.new) for c in entry.changes if c.field == "notes"]

    assert [notes(entry) for entry in first[-2:]] == [[("two", "three")], [("one", "two")]]
    assert [notes(entry) for entry in second[:2]] == [[("one", "two")], [("—", "one")]]
