"""Restore a backup made by ``backup_clinic`` into an empty database.

    python manage.py migrate          # an empty database, the same code version as the backup
    python manage.py restore_clinic IN_DIR

Before writing anything it checks: the manifest's format, the SHA-256 of ``data.json``, the
SHA-256 of every PDF file and that it is the one recorded when it was issued, that every stored
document has its file, that the database has the same migrations as the backed-up one, and that
every table the backup fills is empty. Then it puts the PDFs into the issued-documents storage
under their keys (an identical object already there is kept; a different one is never
overwritten: the PDF gets a free key), loads everything in one transaction (``loaddata``: no
model ``save()``, so signed assessments and issued PDFs load as they are, and no change history
is invented) and reads every row and PDF back against the manifest; any difference rolls the
whole restore back and deletes the objects it wrote.
"""

import json
import tempfile
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, transaction

from records.management.commands.backup_clinic import (
    BACKUP_FORMAT,
    BACKUP_FORMAT_VERSION,
    DOCUMENT_MODEL,
    MANIFEST_FILE,
    applied_migrations,
    backed_up_models,
    sha256,
)
from rehab.documents import (
    HASH_FIELD,
    KEY_FIELD,
    IssuedDocumentUnreadable,
    issued_document_objects_delete,
    stored_object_read,
    stored_object_write,
)


class Command(BaseCommand):
    help = (
        "Restore a backup_clinic folder into an EMPTY, migrated database, verifying every "
        "hash before and after loading (all or nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("in_dir", help="A folder written by backup_clinic.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, in_dir, database, **options):
        folder = Path(in_dir)
        manifest = self._manifest(folder)
        objects, documents = self._verified_contents(folder, manifest)
        if applied_migrations(database) != manifest["migrations"]:
            raise CommandError(
                "This database's migrations differ from the backed-up one's: check out the "
                "code version that made the backup, migrate an empty database, restore, then "
                "upgrade. Nothing was restored."
            )
        filled = [
            m._meta.label for m in backed_up_models() if m._base_manager.using(database).exists()
        ]
        if filled:
            raise CommandError(
                "The database is not empty (rows in "
                f"{', '.join(sorted(filled)[:5])}{'…' if len(filled) > 5 else ''}): restore "
                "only into a freshly migrated database. Nothing was restored."
            )
        rows = {row["pk"]: row for row in objects if row["model"] == DOCUMENT_MODEL}
        written: list[str] = []
        try:
            for (pk, copy), pdf in documents.items():
                fields = rows[pk]["fields"]
                fields[KEY_FIELD[copy]] = self._store(fields[KEY_FIELD[copy]], pdf, written)
            with tempfile.TemporaryDirectory() as tmp:
                fixture = Path(tmp) / "restore.json"
                fixture.write_text(json.dumps(objects), encoding="utf-8")
                with transaction.atomic(using=database):
                    call_command("loaddata", str(fixture), database=database, verbosity=0)
                    self._check_loaded(manifest, database)
        except BaseException:
            issued_document_objects_delete(written)
            raise
        self.stdout.write(
            f"Restored {len(objects)} rows and {len(documents)} issued PDF(s) from {folder}; "
            "every hash matches the manifest."
        )

    @staticmethod
    def _manifest(folder: Path) -> dict:
        try:
            manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"No readable {MANIFEST_FILE} in {folder}: {error}") from error
        if (manifest.get("format"), manifest.get("format_version")) != (
            BACKUP_FORMAT,
            BACKUP_FORMAT_VERSION,
        ):
            raise CommandError(f"{folder} is not a backup_clinic backup of a known format.")
        return manifest

    @staticmethod
    def _store(key: str, pdf: bytes, written: list[str]) -> str:
        """Put ``pdf`` in the storage under ``key`` (the key it got), keeping an identical
        object that is already there."""
        try:
            stored_object_read(key, sha256(pdf))
            return key
        except IssuedDocumentUnreadable:
            pass
        key = stored_object_write(key, pdf)
        written.append(key)
        return key

    @staticmethod
    def _verified_contents(
        folder: Path, manifest: dict
    ) -> tuple[list, dict[tuple[int, str], bytes]]:
        data = (folder / manifest["data"]["file"]).read_bytes()
        if sha256(data) != manifest["data"]["sha256"]:
            raise CommandError("data.json does not match its SHA-256 in the manifest.")
        objects = json.loads(data)
        rows = {row["pk"]: row for row in objects if row["model"] == DOCUMENT_MODEL}
        documents: dict[tuple[int, str], bytes] = {}
        problems = []
        for entry in manifest["documents"]:
            path = folder / entry["file"]
            pdf = path.read_bytes() if path.is_file() else None
            row = rows.get(entry["pk"])
            if pdf is None:
                problems.append(f"{entry['file']} is missing")
            elif sha256(pdf) != entry["sha256"]:
                problems.append(f"{entry['file']} does not match its SHA-256 in the manifest")
            elif row is None or entry["copy"] not in HASH_FIELD:
                problems.append(f"{entry['file']} has no row in data.json")
            elif sha256(pdf) != row["fields"][HASH_FIELD[entry["copy"]]]:
                problems.append(f"{entry['file']} is not the PDF recorded as issued")
            else:
                documents[(entry["pk"], entry["copy"])] = pdf
        stored = {
            (pk, copy)
            for pk, row in rows.items()
            for copy, key_field in KEY_FIELD.items()
            if row["fields"][key_field]
        }
        if stored - set(documents) and not problems:
            problems.append("data.json has issued documents that the manifest does not list")
        if problems:
            raise CommandError("Nothing was restored: " + "; ".join(problems) + ".")
        return objects, documents

    @staticmethod
    def _check_loaded(manifest: dict, database: str) -> None:
        for label, count in manifest["data"]["models"].items():
            model = apps.get_model(label)
            stored = model._base_manager.using(database).count()
            if stored != count:
                raise CommandError(f"{label}: {stored} rows stored, the backup has {count}.")
        document_model = apps.get_model(DOCUMENT_MODEL)
        documents = document_model._base_manager.using(database).in_bulk()
        for entry in manifest["documents"]:
            document = documents[entry["pk"]]
            try:
                stored_object_read(getattr(document, KEY_FIELD[entry["copy"]]), entry["sha256"])
            except IssuedDocumentUnreadable as error:
                raise CommandError(f"Issued document {entry['pk']}: {error}") from error
