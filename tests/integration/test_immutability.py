"""A signed assessment and an issued PDF cannot be changed through any path the project offers:
the views, the admin (change, delete, simple-history's revert), ``save``/``delete``, queryset
``update``/``delete``/``bulk_update``, related managers and ``update_with_history``.

Each attempt is made, then the stored row is compared field by field with what it was (and
the PDF's stored bytes with its SHA-256).
"""

import hashlib

import pytest
from django.db import transaction
from django.db.models import ProtectedError
from django.forms.models import model_to_dict
from django.urls import reverse

from assessments.models import Assessment, SignedAssessmentError
from clinic.integrity import BulkWriteError
from rehab.documents import issued_document_bytes, stored_object_write
from rehab.models import IssuedDocument, IssuedDocumentError
from rehab.services import plan_create, plan_issue
from tests.rehab_factories import signed_assessment

PDF = b"%PDF-1.4 the plan as handed over"


@pytest.fixture
def signed(patient, alice):
    return signed_assessment(patient=patient, clinician=alice)


@pytest.fixture
def document(signed, alice):
    plan = plan_create(assessment=signed, clinician=alice)
    return plan_issue(plan=plan, clinician=alice, pdf=PDF)


def _stored(model, pk) -> dict:
    obj = model._base_manager.get(pk=pk)
    values = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
    if model is IssuedDocument:
        values["pdf"] = issued_document_bytes(obj)
    return values


def _attempt(action, error):
    with pytest.raises(error), transaction.atomic():
        action()


def _signed_assessment_attempts(signed):
    def changed_copy():
        copy = Assessment.objects.get(pk=signed.pk)
        copy.working_diagnosis_reason = "rewritten"
        return copy

    return [
        ("save()", lambda: changed_copy().save(), SignedAssessmentError),
        (
            "save(update_fields)",
            lambda: changed_copy().save(update_fields=["working_diagnosis_reason"]),
            SignedAssessmentError,
        ),
        ("delete()", lambda: Assessment.objects.get(pk=signed.pk).delete(), SignedAssessmentError),
        (
            "QuerySet.update()",
            lambda: Assessment.objects.filter(pk=signed.pk).update(working_diagnosis_reason="x"),
            BulkWriteError,
        ),
        (
            "related manager update()",
            lambda: signed.patient.assessments.update(side="left"),
            BulkWriteError,
        ),
        (
            "QuerySet.delete()",
            lambda: Assessment.objects.filter(pk=signed.pk).delete(),
            SignedAssessmentError,
        ),
        (
            "bulk_update()",
            lambda: Assessment.objects.bulk_update([changed_copy()], ["working_diagnosis_reason"]),
            BulkWriteError,
        ),
        (
            "update_with_history()",
            lambda: Assessment.objects.filter(pk=signed.pk).update_with_history(side="left"),
            SignedAssessmentError,
        ),
        (
            "bulk_create() of a copy",
            lambda: Assessment.objects.bulk_create([changed_copy()]),
            BulkWriteError,
        ),
    ]


def test_signed_assessment_survives_every_orm_path_unchanged(signed):
    before = _stored(Assessment, signed.pk)
    history = signed.history.count()
    for name, action, error in _signed_assessment_attempts(signed):
        _attempt(action, error)
        assert _stored(Assessment, signed.pk) == before, name
    assert signed.history.count() == history


def test_signed_assessment_survives_the_edit_view(alice_client, signed):
    before = _stored(Assessment, signed.pk)
    url = reverse("assessment_edit", args=[signed.pk])
    assert alice_client.get(url).status_code == 302
    response = alice_client.post(url, {"assessed_on": "2026-01-01", "side": "left", "age": "99"})
    assert response.status_code == 302
    assert response.url == signed.get_absolute_url()
    assert _stored(Assessment, signed.pk) == before


def test_signed_assessment_survives_the_admin_change_delete_and_revert(admin_client, signed):
    before = _stored(Assessment, signed.pk)
    first_version = signed.history.earliest("history_date")
    for url in (
        reverse("admin:assessments_assessment_change", args=[signed.pk]),
        reverse("admin:assessments_assessment_delete", args=[signed.pk]),
        reverse(
            "admin:assessments_assessment_simple_history",
            args=[signed.pk, first_version.history_id],
        ),
    ):
        response = admin_client.post(
            url, {"post": "yes", "side": "left", "assessed_on": "2026-01-01"}
        )
        assert response.status_code == 403, url
    assert _stored(Assessment, signed.pk) == before


def test_admin_revert_is_refused_even_on_a_draft_history_is_read_only(admin_client, assessment):
    assessment.age = 40
    assessment.save()
    first_version = assessment.history.earliest("history_date")
    url = reverse(
        "admin:assessments_assessment_simple_history",
        args=[assessment.pk, first_version.history_id],
    )
    assert admin_client.get(url).status_code == 200  # reading an old version is fine
    assert admin_client.post(url, {"side": "right", "assessed_on": "2026-11-20"}).status_code == 403
    assessment.refresh_from_db()
    assert assessment.age == 40


def _document_attempts(document):
    def copy():
        found = IssuedDocument.objects.get(pk=document.pk)
        found.pdf_key = stored_object_write("forged.pdf", b"%PDF-1.4 forged")
        found.sha256 = hashlib.sha256(b"%PDF-1.4 forged").hexdigest()
        return found

    return [
        ("save()", lambda: copy().save(), IssuedDocumentError),
        (
            "save(update_fields)",
            lambda: copy().save(update_fields=["pdf_key"]),
            IssuedDocumentError,
        ),
        (
            "delete()",
            lambda: IssuedDocument.objects.get(pk=document.pk).delete(),
            IssuedDocumentError,
        ),
        (
            "QuerySet.update()",
            lambda: IssuedDocument.objects.filter(pk=document.pk).update(pdf_key="forged.pdf"),
            BulkWriteError,
        ),
        (
            "related manager update()",
            lambda: document.plan.documents.update(large_print=True),
            BulkWriteError,
        ),
        (
            "QuerySet.delete()",
            lambda: IssuedDocument.objects.filter(pk=document.pk).delete(),
            IssuedDocumentError,
        ),
        (
            "bulk_update()",
            lambda: IssuedDocument.objects.bulk_update([copy()], ["pdf_key", "sha256"]),
            BulkWriteError,
        ),
        (
            "update_with_history()",
            lambda: IssuedDocument.objects.filter(pk=document.pk).update_with_history(
                large_print=True
            ),
            IssuedDocumentError,
        ),
        ("deleting its plan", lambda: document.plan.delete(), ProtectedError),
        (
            "erase_for() without an erasure record",
            lambda: IssuedDocument.objects.filter(pk=document.pk).erase_for(None, pdf_key=""),
            BulkWriteError,
        ),
    ]


def test_issued_document_survives_every_orm_path_with_bytes_matching_its_hash(document):
    before = _stored(IssuedDocument, document.pk)
    assert hashlib.sha256(before["pdf"]).hexdigest() == before["sha256"]
    for name, action, error in _document_attempts(document):
        _attempt(action, error)
        after = _stored(IssuedDocument, document.pk)
        assert after == before, name
        assert hashlib.sha256(after["pdf"]).hexdigest() == after["sha256"], name


def test_issued_document_survives_the_admin(admin_client, document):
    before = _stored(IssuedDocument, document.pk)
    for url in (
        reverse("admin:rehab_issueddocument_change", args=[document.pk]),
        reverse("admin:rehab_issueddocument_delete", args=[document.pk]),
    ):
        assert admin_client.post(url, {"post": "yes", "large_print": "on"}).status_code == 403
    changelist = reverse("admin:rehab_issueddocument_changelist")
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [document.pk], "post": "yes"}
    )
    assert response.status_code in (200, 302)  # no such action: nothing happens
    assert _stored(IssuedDocument, document.pk) == before


def test_issued_document_views_only_read(alice_client, document):
    before = _stored(IssuedDocument, document.pk)
    response = alice_client.post(reverse("document_download", args=[document.pk]))
    assert response.content == PDF
    assert _stored(IssuedDocument, document.pk) == before


def test_the_signed_record_keeps_a_history_entry_per_real_change_only(signed):
    """The attempts above add nothing to the change history: it is the record of real saves."""
    kinds = list(signed.history.order_by("history_date").values_list("history_type", flat=True))
    assert kinds == ["+", "~"]  # created as a draft, then signed
    assert model_to_dict(signed.history.latest("history_date").instance)["status"] == "signed"
