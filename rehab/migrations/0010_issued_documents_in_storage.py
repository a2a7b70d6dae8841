"""Issued PDFs move from the database into the issued-documents storage (issue 16).

Each stored PDF (and its first-name link copy) becomes an object in ``STORAGES["issued_documents"]``
whose SHA-256 must equal the one recorded at issue; a row whose bytes do not match stops the
migration (nothing is moved for a document the database already holds wrongly). Erased rows
have no bytes and get no object. Backwards, the objects are read back (hash checked) into the
rows and then deleted.
"""

import hashlib
import secrets

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import migrations, models

STORAGE_ALIAS = "issued_documents"
COPIES = (("pdf", "pdf_key", "sha256", ""), ("link_pdf", "link_pdf_key", "link_sha256", "-link"))


def bytes_to_storage(apps, schema_editor):
    IssuedDocument = apps.get_model("rehab", "IssuedDocument")
    storage = storages[STORAGE_ALIAS]
    documents = IssuedDocument._base_manager.using(schema_editor.connection.alias)
    for document in documents.order_by("pk").iterator():
        keys = {}
        for field, key_field, hash_field, suffix in COPIES:
            data = bytes(getattr(document, field) or b"")
            keys[key_field] = ""
            if not data or document.erased_at is not None:
                continue
            if hashlib.sha256(data).hexdigest() != getattr(document, hash_field):
                raise RuntimeError(
                    f"Issued document {document.pk}: the {field} bytes do not match the "
                    "SHA-256 recorded at issue; fix the row before migrating."
                )
            name = (
                f"plan-{document.plan_id}/v{document.version}-{secrets.token_hex(8)}{suffix}.pdf"
            )
            keys[key_field] = storage.save(name, ContentFile(data))
        # update(), not save(): an issued document refuses save() once it exists.
        documents.filter(pk=document.pk).update(**keys)


def bytes_back_to_database(apps, schema_editor):
    IssuedDocument = apps.get_model("rehab", "IssuedDocument")
    storage = storages[STORAGE_ALIAS]
    documents = IssuedDocument._base_manager.using(schema_editor.connection.alias)
    moved = []
    for document in documents.order_by("pk").iterator():
        values = {}
        for field, key_field, hash_field, _suffix in COPIES:
            key = getattr(document, key_field)
            values[field] = b""
            if not key:
                continue
            with storage.open(key, "rb") as handle:
                data = handle.read()
            if hashlib.sha256(data).hexdigest() != getattr(document, hash_field):
                raise RuntimeError(f"Issued document {document.pk}: {key} does not match.")
            values[field] = data
            moved.append(key)
        documents.filter(pk=document.pk).update(**values)
    for key in moved:
        storage.delete(key)


class Migration(migrations.Migration):
    dependencies = [
        ("rehab", "0009_issue_request"),
    ]

    operations = [
        migrations.AddField(
            model_name="issueddocument",
            name="pdf_key",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The PDF's object in the issued-documents storage (empty once erased).",
                max_length=255,
            ),
        ),
        migrations.AddField(
            model_name="issueddocument",
            name="link_pdf_key",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="The same document naming the patient by first name only, for the "
                "link (its object's key; empty: no link copy, or erased).",
                max_length=255,
            ),
        ),
        migrations.RunPython(bytes_to_storage, bytes_back_to_database),
        # Only so that going back re-adds the column with a value for the existing rows.
        migrations.AlterField(
            model_name="issueddocument", name="pdf", field=models.BinaryField(default=b"")
        ),
        migrations.RemoveField(
            model_name="issueddocument",
            name="link_pdf",
        ),
        migrations.RemoveField(
            model_name="issueddocument",
            name="pdf",
        ),
    ]
