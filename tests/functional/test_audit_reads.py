"""Audit of reads: who opened a patient's record, downloaded a PDF or used the patient link,
and when — and no app or admin path edits or deletes the audit.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.models import AccessEvent
from rehab.models import PatientLinkAccess
from rehab.services import plan_create, plan_issue
from tests.factories import PatientFactory, UserFactory
from tests.rehab_factories import signed_assessment

PDF = b"%PDF-1.4 issued"
What = AccessEvent.What


@pytest.fixture(autouse=True)
def _quick_pdf(monkeypatch):
    import rehab.views

    monkeypatch.setattr(rehab.views, "render_plan_pdf", lambda **kwargs: PDF)


@pytest.fixture
def signed(patient, alice):
    return signed_assessment(patient=patient, clinician=alice)


@pytest.fixture
def plan(signed, alice):
    return plan_create(assessment=signed, clinician=alice)


@pytest.fixture
def document(plan, alice):
    return plan_issue(plan=plan, clinician=alice, pdf=PDF, link_pdf=PDF)


def _clinician_reads(patient, signed, plan, document):
    return [
        (reverse("patient_detail", args=[patient.pk]), What.PATIENT, None),
        (reverse("assessment_detail", args=[signed.pk]), What.ASSESSMENT, signed),
        (reverse("plan_detail", args=[plan.pk]), What.PLAN, plan),
        (reverse("outcome_list", args=[patient.pk]), What.OUTCOMES, None),
        (reverse("document_download", args=[document.pk]), What.DOCUMENT, document),
        (reverse("plan_pdf_preview", args=[plan.pk]), What.PREVIEW, plan),
    ]


def test_each_clinician_read_records_who_what_which_record_when_and_from_where(
    alice_client, alice, patient, signed, plan, document
):
    for url, what, obj in _clinician_reads(patient, signed, plan, document):
        before = timezone.now()
        assert alice_client.get(url).status_code == 200, url
        event = AccessEvent.objects.latest("at")
        assert (event.user, event.patient, event.what) == (alice, patient, what), url
        if obj is not None:
            assert (event.object_type, event.object_id) == (obj._meta.label_lower, obj.pk)
        assert event.at >= before
        assert event.ip == "127.0.0.1"
        assert patient.last_name not in event.object_repr  # kind and id, never the name
    assert AccessEvent.objects.count() == 6


def test_the_patient_link_records_page_form_and_pdf_with_no_user(client, patient, plan, document):
    token = plan.patient_link.token
    client.get(reverse("patient_plan_page", args=[token]))
    client.post(reverse("patient_plan_page", args=[token]), {"exercise_pain": "3"})
    client.get(reverse("patient_plan_pdf", args=[token]))
    events = list(AccessEvent.objects.order_by("at").values_list("what", "user", "patient"))
    assert events == [
        (What.LINK_PAGE, None, patient.pk),
        (What.LINK_POST, None, patient.pk),
        (What.LINK_PDF, None, patient.pk),
    ]
    # The plan page's own list of link uses (PatientLinkAccess) is kept as before.
    assert PatientLinkAccess.objects.count() == 2


def test_a_refused_read_records_nothing(client, charlie, patient, signed, plan, document):
    client.force_login(charlie)
    for url, _, _ in _clinician_reads(patient, signed, plan, document):
        assert client.get(url).status_code == 404
    assert client.get(reverse("patient_plan_page", args=["no-such-token"])).status_code == 404
    assert not AccessEvent.objects.exists()


def test_a_forged_forwarded_address_is_not_stored_as_the_ip(alice_client, patient, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    alice_client.get(
        reverse("patient_detail", args=[patient.pk]), HTTP_X_FORWARDED_FOR="not-an-address"
    )
    assert AccessEvent.objects.get().ip is None


# --- The audit cannot be edited or deleted: admin read-only, even for superusers ----------


def test_access_events_are_read_only_in_the_admin_even_for_a_superuser(
    admin_client, alice_client, patient
):
    alice_client.get(reverse("patient_detail", args=[patient.pk]))
    event = AccessEvent.objects.get()
    changelist = reverse("admin:clinic_accessevent_changelist")
    change = reverse("admin:clinic_accessevent_change", args=[event.pk])
    delete = reverse("admin:clinic_accessevent_delete", args=[event.pk])

    assert admin_client.get(changelist).status_code == 200
    assert admin_client.get(change).status_code == 200  # view only
    assert admin_client.get(reverse("admin:clinic_accessevent_add")).status_code == 403
    assert admin_client.post(change, {"what": "export", "reason": "x"}).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    event.refresh_from_db()
    assert (event.what, event.reason, event.view) == (What.PATIENT, "", "patient_detail")
    # Reading the audit in the admin is itself a read of the patient's data, and recorded.
    admin_reads = set(AccessEvent.objects.exclude(pk=event.pk).values_list("view", "object_id"))
    assert {
        ("admin:clinic_accessevent_changelist", event.pk),
        ("admin:clinic_accessevent_change", event.pk),
    } <= admin_reads


def test_no_change_history_table_is_editable_in_the_admin():
    registered = [model.__name__ for model in admin.site._registry]
    assert not [name for name in registered if name.startswith("Historical")]


@pytest.fixture
def clinic_admin_client(clinic):
    user = UserFactory(username="dana", clinic=clinic, clinic__role="clinic_admin", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["clinic", "assessments", "rehab"])
    )
    client = Client()
    client.force_login(user)
    return client


def test_admin_history_of_another_clinics_patient_is_a_404_for_a_clinic_admin(
    clinic_admin_client, patient, other_clinic
):
    """simple-history's admin views find rows through the historical table, so unscoped they
    showed another clinic's patient (names included) by id."""
    stranger = PatientFactory(clinic=other_clinic, first_name="Zora", last_name="Stranger")
    version = stranger.history.get().history_id
    for url in (
        reverse("admin:clinic_patient_history", args=[stranger.pk]),
        reverse("admin:clinic_patient_simple_history", args=[stranger.pk, version]),
    ):
        response = clinic_admin_client.get(url)
        assert response.status_code == 404, url
        assert b"Stranger" not in response.content
    own = reverse("admin:clinic_patient_history", args=[patient.pk])
    assert clinic_admin_client.get(own).status_code == 200
