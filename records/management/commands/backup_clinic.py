"""Back up the whole database and every issued PDF into a folder.

    python manage.py backup_clinic OUT_DIR

OUT_DIR (new or empty) receives:

- ``data.json``: every installed app's rows in ``dumpdata``'s format (``loaddata`` reads it):
  clinic, assessments and rehab with their change-history tables and the audit of reads,
  users, groups, the admin's log, login lockouts, two-factor devices; natural keys for content
  types and permissions (``migrate`` recreates those, with other ids), and times to the
  microsecond (``dumpdata`` itself keeps milliseconds). Left out: content types and
  permissions themselves, and sessions (a restore logs everybody out). The issued PDFs' rows
  hold their storage keys; the bytes are read from the issued-documents storage into:
- ``documents/``: each issued PDF (and its first-name link copy) as its own file, exactly the
  stored bytes, each checked against the SHA-256 recorded at issue (an object missing or
  altered in the storage stops the backup). Erased documents have no file.
- ``manifest.json``: the SHA-256 of ``data.json`` and of every PDF file, the number of rows per
  model, and the migrations the database had, so ``restore_clinic`` can check everything
  before it writes a row or an object.

The rows are read in one transaction (on PostgreSQL: REPEATABLE READ, READ ONLY), so the
backup is one consistent moment even while the clinic works; the objects never change once
issued, and erasure deletes an object only after its row says so. The folder holds patient
data in clear: store it encrypted (docs/security.md).
"""

import hashlib
import json
from pathlib import Path

import django
from django.apps import apps
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from records.export import FullPrecisionJSONEncoder
from rehab.documents import HASH_FIELD, KEY_FIELD, IssuedDocumentUnreadable, stored_object_read

BACKUP_FORMAT = "hamstring-clinic/backup"
# 2: the PDFs come from the storage (rows hold keys), the link copies are files too.
BACKUP_FORMAT_VERSION = 2
DATA_FILE = "data.json"
MANIFEST_FILE = "manifest.json"
DOCUMENTS_DIR = "documents"
DOCUMENT_MODEL = "rehab.issueddocument"
# Recreated by ``migrate`` (and referenced by natural key), or not worth restoring.
NOT_BACKED_UP = {"contenttypes", "auth.permission", "sessions"}


def backed_up_models() -> list:
    """Every model whose rows the backup holds (and the restore requires empty)."""
    return [
        model
        for model in apps.get_models()
        if model._meta.app_label not in NOT_BACKED_UP
        and model._meta.label_lower not in NOT_BACKED_UP
        and model._meta.managed
        and not model._meta.proxy
    ]


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connections[using]).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def dump_all(database: str = DEFAULT_DB_ALIAS) -> str:
    """``dumpdata`` of every backed-up model (natural foreign keys, base managers, dependency
    order), but with full-precision times: ``dumpdata``'s encoder cuts datetimes to
    milliseconds, and a restore must give back what was stored."""
    wanted = set(backed_up_models())
    app_list = [
        (config, [m for m in config.get_models() if m in wanted])
        for config in apps.get_app_configs()
    ]
    ordered = serializers.sort_dependencies([a for a in app_list if a[1]], allow_cycles=True)
    rows = (
        obj
        for model in ordered
        for obj in model._base_manager.using(database).order_by(model._meta.pk.name).iterator()
    )
    return serializers.serialize(
        "json", rows, use_natural_foreign_keys=True, cls=FullPrecisionJSONEncoder
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def document_file_name(row: dict, copy: str) -> str:
    fields = row["fields"]
    suffix = "-link" if copy == "link_pdf" else ""
    return f"{DOCUMENTS_DIR}/plan-{fields['plan']}-v{fields['version']}-doc{row['pk']}{suffix}.pdf"


class Command(BaseCommand):
    help = (
        "Back up the database (every app, natural keys) and the issued PDFs (files with their "
        "SHA-256 in a manifest) into OUT_DIR, new or empty. Restore with restore_clinic."
    )

    def add_arguments(self, parser):
        parser.add_argument("out_dir", help="A new or empty folder.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, out_dir, database, **options):
        out = Path(out_dir)
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CommandError(f"{out} must be a new or empty folder.")
        (out / DOCUMENTS_DIR).mkdir(parents=True, exist_ok=True)
        connection = connections[database]
        outermost = not connection.in_atomic_block
        with transaction.atomic(using=database):
            if connection.vendor == "postgresql" and outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            objects = json.loads(dump_all(database))
            migrations = applied_migrations(database)
        documents = []
        counts: dict[str, int] = {}
        for row in objects:
            counts[row["model"]] = counts.get(row["model"], 0) + 1
            if row["model"] != DOCUMENT_MODEL:
                continue
            for copy, key_field in KEY_FIELD.items():
                key = row["fields"][key_field]
                if not key:
                    continue  # erased, or a version without a link copy
                try:
                    pdf = stored_object_read(key, row["fields"][HASH_FIELD[copy]])
                except IssuedDocumentUnreadable as error:
                    raise CommandError(
                        f"Issued document {row['pk']}: {error} Nothing was backed up."
                    ) from error
                name = document_file_name(row, copy)
                (out / name).write_bytes(pdf)
                documents.append(
                    {"pk": row["pk"], "copy": copy, "file": name, "sha256": sha256(pdf)}
                )
        data = json.dumps(objects, ensure_ascii=False, indent=1).encode()
        (out / DATA_FILE).write_bytes(data)
        manifest = {
            "format": BACKUP_FORMAT,
            "format_version": BACKUP_FORMAT_VERSION,
            "created_at": timezone.now().isoformat(),
            "django": django.get_version(),
            "database_vendor": connection.vendor,
            "migrations": migrations,
            "data": {"file": DATA_FILE, "sha256": sha256(data), "models": counts},
            "documents": documents,
        }
        (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        self.stdout.write(
            f"Backed up {len(objects)} rows of {len(counts)} models and {len(documents)} "
            f"issued PDF(s) to {out}."
        )
