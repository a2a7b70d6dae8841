"""backup_clinic / restore_clinic: the demo data goes out, the database is emptied, it comes
back identical (every row of every model, every PDF's hash), on SQLite and PostgreSQL.
A restore refuses a database that is not empty and a backup that was altered."""

import hashlib
import json
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import serializers
from django.core.management import CommandError, call_command

from clinic.models import AccessEvent, Patient
from records.management.commands.backup_clinic import backed_up_models
from records.services import patient_anonymise
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
    return {
        pk: (hashlib.sha256(bytes(pdf)).hexdigest(), recorded)
        for pk, pdf, recorded in IssuedDocument.objects.values_list("pk", "pdf", "sha256")
    }


def _backup(path: Path) -> Path:
    call_command("backup_clinic", str(path), stdout=StringIO())
    return path


def _flush():
    call_command("flush", interactive=False, verbosity=0)
    assert not any(m._base_manager.exists() for m in backed_up_models())


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
    before, hashes = _canonical(), _document_hashes()
    assert sum(len(rows) for rows in before.values()) > 100
    assert len(hashes) == 2 and all(actual == recorded for actual, recorded in hashes.values())

    backup = _backup(tmp_path / "backup")
    manifest = json.loads((backup / "manifest.json").read_text())
    assert {d["pk"]: d["sha256"] for d in manifest["documents"]} == {
        pk: actual for pk, (actual, _) in hashes.items()
    }
    for entry in manifest["documents"]:
        assert hashlib.sha256((backup / entry["file"]).read_bytes()).hexdigest() == entry["sha256"]
    assert '"pdf"' not in (backup / "data.json").read_text()  # the bytes live in documents/

    _flush()
    out = StringIO()
    call_command("restore_clinic", str(backup), stdout=out)

    assert "every hash matches" in out.getvalue()
    assert _canonical() == before
    assert _document_hashes() == hashes
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
    assert json.loads((backup / "manifest.json").read_text())["documents"][0]["erased"] is True
    _flush()
    call_command("restore_clinic", str(backup), stdout=StringIO())

    assert _canonical() == before
    document = IssuedDocument.objects.get()
    assert bytes(document.pdf) == b"" and document.erased_at is not None


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


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "old.txt").write_text("keep me")
    with pytest.raises(CommandError, match="new or empty"):
        call_command("backup_clinic", str(tmp_path))
