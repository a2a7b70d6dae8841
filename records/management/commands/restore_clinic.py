"""Restore a backup made by ``backup_clinic`` into an empty database.

    python manage.py migrate          # an empty database, the same code version as the backup
    python manage.py restore_clinic IN_DIR

Before writing anything it checks: the manifest's format, the SHA-256 of ``data.json``, the
SHA-256 of every PDF file (and, for a PDF not erased, that it is the one recorded when it was
issued), that the database has the same migrations as the backed-up one, and that every table
the backup fills is empty. Then it loads everything in one transaction (``loaddata``: no model
``save()``, so signed assessments and issued PDFs load as they are, and no change history is
invented) and checks the stored rows and PDF hashes against the manifest; any difference rolls
the whole restore back.
"""

import base64
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
        for row in objects:
            if row["model"] == DOCUMENT_MODEL:
                row["fields"]["pdf"] = base64.b64encode(documents[row["pk"]]).decode()
        with tempfile.TemporaryDirectory() as tmp:
            fixture = Path(tmp) / "restore.json"
            fixture.write_text(json.dumps(objects), encoding="utf-8")
            with transaction.atomic(using=database):
                call_command("loaddata", str(fixture), database=database, verbosity=0)
                self._check_loaded(manifest, database)
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
    def _verified_contents(folder: Path, manifest: dict) -> tuple[list, dict[int, bytes]]:
        data = (folder / manifest["data"]["file"]).read_bytes()
        if sha256(data) != manifest["data"]["sha256"]:
            raise CommandError("data.json does not match its SHA-256 in the manifest.")
        objects = json.loads(data)
        rows = {row["pk"]: row for row in objects if row["model"] == DOCUMENT_MODEL}
        documents: dict[int, bytes] = {}
        problems = []
        for entry in manifest["documents"]:
            path = folder / entry["file"]
            pdf = path.read_bytes() if path.is_file() else None
            row = rows.get(entry["pk"])
            if pdf is None:
                problems.append(f"{entry['file']} is missing")
            elif sha256(pdf) != entry["sha256"]:
                problems.append(f"{entry['file']} does not match its SHA-256 in the manifest")
            elif row is None:
                problems.append(f"{entry['file']} has no row in data.json")
            elif not entry["erased"] and sha256(pdf) != row["fields"]["sha256"]:
                problems.append(f"{entry['file']} is not the PDF recorded as issued")
            else:
                documents[entry["pk"]] = pdf
        if set(rows) - set(documents) and not problems:
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
        stored = dict(
            document_model._base_manager.using(database).values_list("pk", "pdf").iterator()
        )
        for entry in manifest["documents"]:
            if sha256(bytes(stored[entry["pk"]])) != entry["sha256"]:
                raise CommandError(f"Issued document {entry['pk']}: stored bytes do not match.")
