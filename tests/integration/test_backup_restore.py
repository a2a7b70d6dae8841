"""backup_clinic / restore_clinic: the demo data goes out, the database and the PDF storage are
emptied, they come back identical (every row of every model, every PDF's bytes and hash), on
SQLite and PostgreSQL. A restore refuses a database that is not empty and a backup that was
altered; a backup refuses a stored PDF that is not the one issued."""

import hashlib
import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core import serializers
from django.core.management import CommandError, call_command

from clinic.models import AccessEvent, Patient
from records.management.commands import restore_clinic
from records.management.commands.backup_clinic import backed_up_models
from records.services import patient_anonymise
from rehab.documents import documents_storage, issued_document_bytes
from rehab.models import IssuedDocument, Plan
from rehab.services import plan_create, plan_issue
from tests.factories import PatientFactory, UserFactory
from tests.rehab_factories import signed_assessment

pytestmark = pytest.mark.django_db(transaction=True)


def _canonical() -> dict[str, list]:
    """Every row of every backed-up model, ordered, with natural keys for content types and
    permissions (their ids are migrate's business, not the backup's)."""
    return {
        model._meta.label: serializers.serialize(
            "python",
            model._base_manager.order_by("pk"),
            use_natural_foreign_keys=True,
        )
        for model in backed_up_models()
    }


def _document_hashes() -> dict[int, tuple[str, str]]:
    """Per document: the SHA-256 of the bytes in the storage and the one recorded at issue."""
    return {
        document.pk: (
            hashlib.sha256(documents_storage().open(document.pdf_key).read()).hexdigest(),
            document.sha256,
        )
        for document in IssuedDocument.objects.all()
    }


def _link_copies() -> dict[int, bytes]:
    return {
        document.pk: issued_document_bytes(document, "link_pdf")
        for document in IssuedDocument.objects.exclude(link_pdf_key="")
    }


def _backup(path: Path) -> Path:
    call_command("backup_clinic", str(path), stdout=StringIO())
    return path


def _flush():
    """An empty database and an empty PDF storage, as on a new server."""
    call_command("flush", interactive=False, verbosity=0)
    assert not any(m._base_manager.exists() for m in backed_up_models())
    shutil.rmtree(settings.MEDIA_ROOT / "issued-documents", ignore_errors=True)


def _demo_with_extras():
    call_command("seed_demo", stdout=StringIO())
    plan = Plan.objects.get()
    clinician = plan.created_by
    plan_issue(plan=plan, clinician=clinician, pdf=b"%PDF-1.4 version two")
    AccessEvent.objects.create(patient=plan.patient, user=clinician, what="plan", ip="10.0.0.7")
    group = Group.objects.create(name="Front desk")
    group.permissions.set(Permission.objects.filter(codename__in=["view_patient", "add_patient"]))
    clinician.groups.add(group)


@pytest.mark.pdf
def test_backup_flush_restore_gives_back_every_record_and_every_pdf(tmp_path):
    _demo_with_extras()
    before, hashes, links = _canonical(), _document_hashes(), _link_copies()
    assert sum(len(rows) for rows in before.values()) > 100
    assert len(hashes) == 2 and all(actual == recorded for actual, recorded in hashes.values())
    assert len(links) == 1  # the demo's issue has a link copy, the extra version none

    backup = _backup(tmp_path / "backup")
    manifest = json.loads((backup / "manifest.json").read_text())
    assert {d["pk"]: d["sha256"] for d in manifest["documents"] if d["copy"] == "pdf"} == {
        pk: actual for pk, (actual, _) in hashes.items()
    }
    assert [d["pk"] for d in manifest["documents"] if d["copy"] == "link_pdf"] == list(links)
    for entry in manifest["documents"]:
        assert hashlib.sha256((backup / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    assert "%PDF" not in (backup / "data.json").read_text()  # the bytes live in documents/

    _flush()
    out = StringIO()
    call_command("restore_clinic", str(backup), stdout=out)

    assert "every hash matches" in out.getvalue()
    assert _canonical() == before  # the same keys, now pointing at restored objects
    assert _document_hashes() == hashes
    assert _link_copies() == links
    # The restored database works on: new rows get fresh ids, and the history goes on.
    patient = PatientFactory(clinic=Patient.objects.first().clinic)
    assert patient.history.count() == 1


def test_an_erased_pdf_round_trips_with_its_hash_kept_and_no_bytes(tmp_path):
    alice = UserFactory(username="alice")
    patient = PatientFactory()
    admin = UserFactory(username="dana", clinic=patient.clinic, clinic__role="clinic_admin")
    plan = plan_create(
        assessment=signed_assessment(patient=patient, clinician=alice), clinician=alice
    )
    plan_issue(plan=plan, clinician=alice, pdf=b"%PDF-1.4 named")
    patient_anonymise(patient=patient, by=admin, reason="request")
    before = _canonical()

    backup = _backup(tmp_path / "backup")
    assert json.loads((backup / "manifest.json").read_text())["documents"] == []
    assert list((backup / "documents").iterdir()) == []
    _flush()
    call_command("restore_clinic", str(backup), stdout=StringIO())

    assert _canonical() == before
    document = IssuedDocument.objects.get()
    assert document.pdf_key == "" and document.sha256 and document.erased_at is not None


def test_restore_refuses_a_database_that_is_not_empty(tmp_path):
    PatientFactory()
    backup = _backup(tmp_path / "backup")
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore_clinic", str(backup))
    assert Patient.objects.count() == 1


@pytest.mark.parametrize("spoil", ["document", "data", "missing document", "migrations"])
def test_restore_checks_the_backup_before_writing_anything(tmp_path, spoil):
    alice = UserFactory(username="alice")
    plan = plan_create(
        assessment=signed_assessment(patient=PatientFactory(), clinician=alice), clinician=alice
    )
    plan_issue(plan=plan, clinician=alice, pdf=b"%PDF-1.4 original")
    backup = _backup(tmp_path / "backup")
    manifest_path = backup / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    document = backup / manifest["documents"][0]["file"]
    if spoil == "document":
        document.write_bytes(b"%PDF-1.4 altered")
    elif spoil == "missing document":
        document.unlink()
    elif spoil == "data":
        data = backup / "data.json"
        data.write_text(data.read_text().replace('"Rosa"', '"Rose"').replace("alice", "alicia"))
    else:
        manifest["migrations"]["clinic"].append("9999_from_the_future")
        manifest_path.write_text(json.dumps(manifest))
    _flush()

    with pytest.raises(CommandError, match=r"Nothing was restored|does not match"):
        call_command("restore_clinic", str(backup))
    assert not any(m._base_manager.exists() for m in backed_up_models())


def test_backup_refuses_a_stored_pdf_that_is_not_the_one_issued(tmp_path):
    alice = UserFactory(username="alice")
    plan = plan_create(
        assessment=signed_assessment(patient=PatientFactory(), clinician=alice), clinician=alice
    )
    document = plan_issue(plan=plan, clinician=alice, pdf=b"%PDF-1.4 original")
    Path(documents_storage().path(document.pdf_key)).write_bytes(b"%PDF-1.4 altered")

    with pytest.raises(CommandError, match=r"does not match the SHA-256.*Nothing was backed up"):
        call_command("backup_clinic", str(tmp_path / "backup"))


def test_a_failed_restore_leaves_no_objects_behind(tmp_path, monkeypatch):
    alice = UserFactory(username="alice")
    plan = plan_create(
        assessment=signed_assessment(patient=PatientFactory(), clinician=alice), clinician=alice
    )
    plan_issue(plan=plan, clinician=alice, pdf=b"%PDF-1.4 original", link_pdf=b"%PDF-1.4 link")
    backup = _backup(tmp_path / "backup")
    _flush()

    def fail_after_loading(*args, **kwargs):
        raise CommandError("the check after loading failed")

    monkeypatch.setattr(restore_clinic.Command, "_check_loaded", staticmethod(fail_after_loading))
    with pytest.raises(CommandError, match="after loading"):
        call_command("restore_clinic", str(backup))
    assert not IssuedDocument.objects.exists()
    assert not (settings.MEDIA_ROOT / "issued-documents").exists() or not any(
        path.is_file() for path in (settings.MEDIA_ROOT / "issued-documents").rglob("*")
    )


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "old.txt").write_text("keep me")
    with pytest.raises(CommandError, match="new or empty"):
        call_command("backup_clinic", str(tmp_path))
