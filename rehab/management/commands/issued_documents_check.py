"""Check every issued PDF in the storage against its row, and find objects no row names.

    python manage.py issued_documents_check
    python manage.py issued_documents_check --delete-orphans [--older-than-minutes 60]

A document whose object is missing or does not hash to the SHA-256 recorded at issue is listed
and the command fails (exit status 1): restore it from a backup. An orphan is an object that no
row names: left when the transaction around an issue rolled back after the bytes were written,
or when the deletion after an erasure failed. It may hold a patient's name, so
``--delete-orphans`` deletes the ones older than the given age (younger ones may belong to an
issue still being committed).
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from rehab.documents import (
    HASH_FIELD,
    KEY_FIELD,
    IssuedDocumentUnreadable,
    documents_storage,
    issued_document_objects_delete,
    stored_object_keys,
    stored_object_read,
)
from rehab.models import IssuedDocument


class Command(BaseCommand):
    help = "Check every issued PDF's stored object against its SHA-256; list or delete orphans."

    def add_arguments(self, parser):
        parser.add_argument("--delete-orphans", action="store_true")
        parser.add_argument("--older-than-minutes", type=int, default=60)

    def handle(self, *args, delete_orphans, older_than_minutes, **options):
        named: set[str] = set()
        problems = []
        checked = 0
        for document in IssuedDocument.objects.filter(erased_at__isnull=True).iterator():
            for copy, key_field in KEY_FIELD.items():
                key = getattr(document, key_field)
                if not key and copy == "link_pdf":
                    continue  # a version without a link copy
                named.add(key)
                checked += 1
                try:
                    stored_object_read(key, getattr(document, HASH_FIELD[copy]))
                except IssuedDocumentUnreadable as error:
                    problems.append(f"document {document.pk} ({copy}): {error}")
        orphans = sorted(set(stored_object_keys()) - named)
        cutoff = timezone.now() - dt.timedelta(minutes=older_than_minutes)
        storage = documents_storage()
        old = [key for key in orphans if storage.get_modified_time(key) < cutoff]
        for key in orphans:
            self.stdout.write(f"orphan: {key}{' (old enough to delete)' if key in old else ''}")
        if delete_orphans and old:
            issued_document_objects_delete(old)
            self.stdout.write(f"Deleted {len(old)} orphan(s).")
        self.stdout.write(f"Checked {checked} stored PDF(s); {len(orphans)} orphan(s).")
        if problems:
            raise CommandError("Unreadable issued PDFs:\n" + "\n".join(problems))
