"""Issued PDFs in the storage API, on the filesystem and on S3 (a local moto server).

Each test runs on both storages: a PDF issued is an object read back with its hash checked; an
object altered or removed behind the app's back is refused (a clear error, never other bytes);
a failed row leaves no object; erasure deletes the object; nothing makes a public address.
The S3 side talks to moto's server mode over HTTP on a free loopback port, started here.
"""

import hashlib
import io
import json
from pathlib import Path

import boto3
import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError
from django.test import Client, override_settings
from django.urls import reverse
from moto.server import ThreadedMotoServer

from config.settings import documents_storage as storage_settings
from records.services import patient_anonymise
from rehab.documents import (
    IssuedDocumentUnreadable,
    documents_storage,
    issued_document_bytes,
)
from rehab.models import IssuedDocument
from rehab.services import plan_issue
from tests.factories import UserFactory
from tests.rehab_factories import plan_for

BUCKET = "clinic-documents-test"
PREFIX = "issued-documents"
PDF = b"%PDF-1.4 Rosa Runner's plan"
LINK_PDF = b"%PDF-1.4 Rosa's plan"


@pytest.fixture(scope="module")
def s3_endpoint():
    """moto's S3 server on a free loopback port, with the documents bucket."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    _client(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def _client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # moto accepts any key
    )


class Filesystem:
    """Reaches the stored objects the way an operator (or an intruder) on the server would."""

    def __init__(self):
        self.root = Path(documents_storage().location)

    def keys(self) -> set[str]:
        return {str(p.relative_to(self.root)) for p in self.root.rglob("*") if p.is_file()}

    def put(self, key: str, data: bytes) -> None:
        (self.root / key).parent.mkdir(parents=True, exist_ok=True)
        (self.root / key).write_bytes(data)

    def remove(self, key: str) -> None:
        (self.root / key).unlink()


class Bucket:
    """Reaches the objects with its own S3 client, not through the app's storage."""

    def __init__(self, endpoint: str):
        self.client = _client(endpoint)

    def keys(self) -> set[str]:
        listed = self.client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return {item["Key"].removeprefix(f"{PREFIX}/") for item in listed}

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}", Body=data)

    def remove(self, key: str) -> None:
        self.client.delete_object(Bucket=BUCKET, Key=f"{PREFIX}/{key}")

    def clear(self) -> None:
        for key in self.keys():
            self.remove(key)


@pytest.fixture
def s3_stored(s3_endpoint, settings, monkeypatch):
    """The app configured for S3 as the settings build it from the environment."""
    endpoint = s3_endpoint
    for name, value in {
        "DJANGO_S3_BUCKET": BUCKET,
        "DJANGO_S3_ENDPOINT_URL": endpoint,
        "DJANGO_S3_REGION": "us-east-1",
        "DJANGO_S3_ACCESS_KEY_ID": "testing",
        "DJANGO_S3_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    storages = {**settings.STORAGES, "issued_documents": storage_settings("s3", Path("unused"))}
    bucket = Bucket(endpoint)
    with override_settings(STORAGES=storages):
        assert type(documents_storage()).__name__ == "S3Storage"
        yield bucket
    bucket.clear()


@pytest.fixture(params=["filesystem", "s3"])
def stored(request):
    if request.param == "filesystem":
        return Filesystem()
    return request.getfixturevalue("s3_stored")


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice)


def test_an_issued_pdf_is_stored_as_objects_and_read_back_with_its_hash(stored, plan, alice):
    document = plan_issue(plan=plan, clinician=alice, pdf=PDF, link_pdf=LINK_PDF)

    assert stored.keys() == {document.pdf_key, document.link_pdf_key}
    assert document.pdf_key.startswith(f"plan-{plan.pk}/v1-")
    assert "Rosa" not in document.pdf_key and "Runner" not in document.link_pdf_key
    assert document.sha256 == hashlib.sha256(PDF).hexdigest()
    fresh = IssuedDocument.objects.get(pk=document.pk)
    assert issued_document_bytes(fresh) == PDF
    assert issued_document_bytes(fresh, "link_pdf") == LINK_PDF


def test_the_download_streams_the_stored_pdf_after_the_access_check(
    stored, plan, alice, alice_client, charlie
):
    document = plan_issue(plan=plan, clinician=alice, pdf=PDF, link_pdf=LINK_PDF)
    url = reverse("document_download", args=[document.pk])

    response = alice_client.get(url)
    assert response.status_code == 200 and response.content == PDF
    stranger = Client()
    assert stranger.get(url).status_code == 302  # to the login page
    link = stranger.get(reverse("patient_plan_pdf", args=[plan.patient_link.token]))
    assert link.status_code == 200 and link.content == LINK_PDF
    stranger.force_login(charlie)
    assert stranger.get(url).status_code == 404  # another clinic's document


@pytest.mark.parametrize("spoil", ["altered", "missing"])
def test_an_object_altered_or_missing_is_refused_never_served(
    stored, plan, alice, alice_client, spoil, caplog
):
    document = plan_issue(plan=plan, clinician=alice, pdf=PDF, link_pdf=LINK_PDF)
    forged = b"%PDF-1.4 someone else's plan"
    for key in (document.pdf_key, document.link_pdf_key):
        stored.put(key, forged) if spoil == "altered" else stored.remove(key)

    with pytest.raises(
        IssuedDocumentUnreadable,
        match="SHA-256" if spoil == "altered" else "missing|could not be read",
    ):
        issued_document_bytes(document)
    for response in (
        alice_client.get(reverse("document_download", args=[document.pk])),
        Client().get(reverse("patient_plan_pdf", args=[plan.patient_link.token])),
    ):
        assert response.status_code == 500
        assert forged not in response.content and b"%PDF" not in response.content
        assert b"the stored copy is missing or is not the document that was issued" in (
            response.content
        )
    assert f"Issued document {document.pk} (pdf) failed its integrity check" in caplog.text


def test_a_row_that_fails_leaves_no_object_behind(stored, plan, alice, monkeypatch):
    def refused(**fields):
        raise IntegrityError("the row could not be written")

    monkeypatch.setattr(IssuedDocument.objects, "create", refused)
    with pytest.raises(IntegrityError):
        plan_issue(plan=plan, clinician=alice, pdf=PDF, link_pdf=LINK_PDF)

    assert stored.keys() == set()
    assert not IssuedDocument.objects.exists()


def test_erasure_deletes_the_objects_and_keeps_the_hash(
    stored, plan, alice, clinic, django_capture_on_commit_callbacks
):
    document = plan_issue(plan=plan, clinician=alice, pdf=PDF, link_pdf=LINK_PDF)
    admin = UserFactory(clinic=clinic, clinic__role="clinic_admin")

    with django_capture_on_commit_callbacks(execute=True):
        patient_anonymise(patient=plan.patient, by=admin, reason="Asked to be forgotten")

    assert stored.keys() == set()
    erased = IssuedDocument.objects.get(pk=document.pk)
    assert (erased.pdf_key, erased.link_pdf_key, erased.sha256) == ("", "", document.sha256)
    with pytest.raises(IssuedDocumentUnreadable, match="erased"):
        issued_document_bytes(erased)


def test_the_backup_carries_the_stored_objects(stored, plan, alice, tmp_path):
    document = plan_issue(plan=plan, clinician=alice, pdf=PDF, link_pdf=LINK_PDF)

    call_command("backup_clinic", str(tmp_path / "backup"), stdout=io.StringIO())

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    files = {entry["copy"]: entry["file"] for entry in manifest["documents"]}
    assert (tmp_path / "backup" / files["pdf"]).read_bytes() == PDF
    assert (tmp_path / "backup" / files["link_pdf"]).read_bytes() == LINK_PDF
    assert {entry["pk"] for entry in manifest["documents"]} == {document.pk}


def test_s3_objects_are_private(s3_stored, plan, alice):
    document = plan_issue(plan=plan, clinician=alice, pdf=PDF)
    acl = s3_stored.client.get_object_acl(Bucket=BUCKET, Key=f"{PREFIX}/{document.pdf_key}")
    grantees = {grant["Grantee"].get("URI", "owner") for grant in acl["Grants"]}
    assert grantees == {"owner"}  # no AllUsers / AuthenticatedUsers grant


def test_filesystem_objects_are_readable_by_the_app_user_only(plan, alice):
    document = plan_issue(plan=plan, clinician=alice, pdf=PDF)
    path = Path(documents_storage().path(document.pdf_key))
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_the_check_command_finds_altered_objects_and_clears_old_orphans(stored, plan, alice):
    kept = plan_issue(plan=plan, clinician=alice, pdf=PDF, link_pdf=LINK_PDF)
    spoiled = plan_issue(plan=plan, clinician=alice, pdf=PDF)
    stored.put(spoiled.pdf_key, b"%PDF-1.4 altered")
    stored.put("plan-999/v1-left-behind.pdf", b"%PDF-1.4 an issue that rolled back")

    out = io.StringIO()
    with pytest.raises(CommandError, match=rf"document {spoiled.pk} \(pdf\).*SHA-256"):
        call_command("issued_documents_check", stdout=out)
    assert "orphan: plan-999/v1-left-behind.pdf (old enough" not in out.getvalue()

    with pytest.raises(CommandError):
        call_command(
            "issued_documents_check", "--delete-orphans", "--older-than-minutes=-1", stdout=out
        )
    assert "Deleted 1 orphan(s)." in out.getvalue()
    assert stored.keys() == {kept.pdf_key, kept.link_pdf_key, spoiled.pdf_key}
