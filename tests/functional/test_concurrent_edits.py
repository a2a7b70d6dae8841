"""No lost updates: two clinicians editing the same draft, prescription or patient.

Every save of a versioned model is ``UPDATE … SET version = v + 1 WHERE pk = … AND version = v``
(``clinic.integrity.VersionedModel``); the edit forms carry ``v`` as a hidden field. The first
tests run on SQLite and PostgreSQL; the last ones need two real PostgreSQL connections.
"""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from assessments.models import Assessment
from clinic.integrity import StaleVersionError
from clinic.models import Patient
from rehab.models import Prescription
from rehab.services import plan_create
from tests.factories import AssessmentFactory, PatientFactory
from tests.rehab_factories import signed_assessment

STALE = "Someone else saved this"
VISIT = {"assessed_on": "2026-11-25", "side": "left"}


@pytest.fixture
def bob_client(bob):
    client = Client()
    client.force_login(bob)
    return client


@pytest.fixture
def bridge(patient, alice):
    plan = plan_create(
        assessment=signed_assessment(patient=patient, clinician=alice), clinician=alice
    )
    return plan.prescriptions.get(ladder="bridge")


def _hidden_version(response) -> int:
    return int(response.context["form"]["version"].value())


# --- One connection: the refusal, the message and the kept input (SQLite and PostgreSQL) ---


def test_every_save_raises_the_version(assessment):
    assert assessment.version == 1
    assessment.age = 30
    assessment.save()
    assessment.save(update_fields=["age"])
    assessment.refresh_from_db()
    assert assessment.version == 3


@pytest.mark.parametrize("model", [Assessment, Prescription, Patient])
def test_a_save_over_a_newer_version_is_refused_and_changes_nothing(model, assessment, bridge):
    obj = {Assessment: assessment, Prescription: bridge, Patient: assessment.patient}[model]
    mine, theirs = model.objects.get(pk=obj.pk), model.objects.get(pk=obj.pk)
    field, value = {
        Assessment: ("age", 44),
        Prescription: ("note", "theirs"),
        Patient: ("notes", "theirs"),
    }[model]
    setattr(theirs, field, value)
    theirs.save()
    setattr(mine, field, {"age": 55}.get(field, "mine"))
    with pytest.raises(StaleVersionError, match=STALE), transaction.atomic():
        mine.save()
    stored = model.objects.get(pk=obj.pk)
    assert getattr(stored, field) == value
    assert stored.version == obj.version + 1
    assert mine.version == obj.version  # the refused copy still says what it was loaded with


def test_edit_form_carries_the_version_it_showed(alice_client, assessment):
    response = alice_client.get(reverse("assessment_edit", args=[assessment.pk]))
    assert _hidden_version(response) == 1
    assert 'name="version" value="1"' in response.content.decode()


def test_second_draft_save_is_refused_with_the_message_on_top_and_the_input_kept(
    alice_client, bob_client, assessment
):
    url = reverse("assessment_edit", args=[assessment.pk])
    loaded = _hidden_version(alice_client.get(url))
    assert _hidden_version(bob_client.get(url)) == loaded

    bob = bob_client.post(url, {**VISIT, "version": loaded, "age": "38"})
    assert bob.status_code == 302
    alice = alice_client.post(url, {**VISIT, "version": loaded, "age": "52", "felt_pop": "True"})

    assert alice.status_code == 200
    page = alice.content.decode()
    assert page.index(STALE) < page.index('id="assessment-form"')  # above the form
    assert "reload to see theirs" in page
    assert alice.context["form"]["age"].value() == "52"  # her typing is still in the form
    assessment.refresh_from_db()
    assert (assessment.age, assessment.felt_pop, assessment.version) == (38, None, 2)


def test_second_prescription_save_is_refused_and_keeps_the_dose_typed(
    alice_client, bob_client, bridge
):
    url = reverse("prescription_edit", args=[bridge.pk])
    loaded = _hidden_version(alice_client.get(url))
    dose = {"step_code": bridge.step_code, "sets": "3", "reps": "10"}
    assert bob_client.post(url, {**dose, "version": loaded, "note": "Bob's"}).status_code == 302
    alice = alice_client.post(url, {**dose, "version": loaded, "note": "Alice's"})
    assert alice.status_code == 200
    assert STALE in alice.content.decode() and "Alice&#x27;s" in alice.content.decode()
    bridge.refresh_from_db()
    assert bridge.note == "Bob's"


def test_second_patient_save_is_refused(alice_client, bob_client, patient):
    url = reverse("patient_edit", args=[patient.pk])
    loaded = _hidden_version(alice_client.get(url))
    details = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": "1988-04-02",
        "sex": "female",
        "record_number": patient.record_number,
    }
    assert bob_client.post(url, {**details, "version": loaded, "notes": "B"}).status_code == 302
    alice = alice_client.post(url, {**details, "version": loaded, "notes": "A"})
    assert alice.status_code == 200 and STALE in alice.content.decode()
    patient.refresh_from_db()
    assert patient.notes == "B"


def test_a_post_without_a_version_is_checked_against_the_version_read_in_that_request(
    alice_client, assessment
):
    """Old pages and scripts post no version: the save still cannot overwrite a newer row."""
    url = reverse("assessment_edit", args=[assessment.pk])
    assert alice_client.post(url, {**VISIT, "age": "33"}).status_code == 302
    assessment.refresh_from_db()
    assert (assessment.age, assessment.version) == (33, 2)


# --- Two PostgreSQL connections: the check is in the UPDATE, not read-then-write ----------

on_postgresql = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="needs two concurrent connections with row locks: PostgreSQL only (SQLite has one "
    "writer at a time, so the race cannot be staged there)",
)


def _edit_in_two_connections(model, pk, field, first_value, second_value):
    """Both connections load version v; the first saves and holds its transaction open while
    the second saves over the same v. Returns (second's exception or None, seconds it waited).
    """
    first_saved, outcome = threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                obj = model.objects.get(pk=pk)
                ready.wait(5)
                setattr(obj, field, first_value)
                obj.save()
                first_saved.set()
                time.sleep(0.6)  # the row stays locked; the second UPDATE waits on it
        finally:
            connection.close()

    def second():
        try:
            obj = model.objects.get(pk=pk)
            ready.wait(5)
            first_saved.wait(5)
            setattr(obj, field, second_value)
            started = time.monotonic()
            try:
                with transaction.atomic():
                    obj.save()
                outcome["error"] = None
            except StaleVersionError as error:
                outcome["error"] = error
            outcome["waited"] = time.monotonic() - started
        finally:
            connection.close()

    ready = threading.Barrier(2)
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    return outcome["error"], outcome["waited"]


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("model", [Assessment, Prescription])
def test_concurrent_saves_in_two_connections_one_wins_the_other_is_refused(model, alice):
    patient = PatientFactory()
    if model is Assessment:
        obj, field = AssessmentFactory(patient=patient, clinician=alice), "age"
        values = (41, 67)
    else:
        plan = plan_create(
            assessment=signed_assessment(patient=patient, clinician=alice), clinician=alice
        )
        obj, field = plan.prescriptions.get(ladder="bridge"), "note"
        values = ("first", "second")

    error, waited = _edit_in_two_connections(model, obj.pk, field, *values)

    assert isinstance(error, StaleVersionError)
    assert waited > 0.3  # it blocked on the first's row lock, then re-checked the version
    stored = model.objects.get(pk=obj.pk)
    assert getattr(stored, field) == values[0]
    assert stored.version == 2
    assert stored.history.count() == 2  # created + the first edit; nothing from the refused one


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_with_a_second_connection_object_a_stale_update_changes_no_row(alice):
    """The same race with ``connections.create_connection``: the raw UPDATE the model issues
    matches no row once the other connection committed a newer version."""
    from django.db import connections

    assessment = AssessmentFactory(patient=PatientFactory(), clinician=alice)
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "UPDATE assessments_assessment SET age = 70, version = version + 1 "
                "WHERE id = %s AND version = %s",
                [assessment.pk, 1],
            )
            assert cursor.rowcount == 1
        assessment.age = 20
        with pytest.raises(StaleVersionError), transaction.atomic():
            assessment.save()
    finally:
        other.close()
    assessment.refresh_from_db()
    assert (assessment.age, assessment.version) == (70, 2)
