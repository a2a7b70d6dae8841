"""Issued PDFs' bytes in Django's storage API (``STORAGES["issued_documents"]``).

The row (``IssuedDocument``) keeps the object's key and the SHA-256 recorded at issue; the bytes
live in the storage: a folder under ``MEDIA_ROOT`` by default, S3-compatible object storage when
several app servers share the documents (README, "Configuration"). Nothing here makes a URL:
the bytes reach a browser only through the views that check access first.

- Write: ``issued_document_store`` puts the objects first and gives the row's values; when the
  row is not created, the objects are deleted again, so a row never exists without its bytes.
- Read: ``issued_document_bytes`` checks the SHA-256 on every read; a missing or altered object
  raises ``IssuedDocumentUnreadable`` instead of handing over other bytes.
- Erase: ``issued_document_objects_delete`` once the erasure has committed.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages

if TYPE_CHECKING:
    from rehab.models import IssuedDocument

STORAGE_ALIAS = "issued_documents"
# Which copy: the PT's (full name) or the link's (first name only).
Copy = Literal["pdf", "link_pdf"]
HASH_FIELD = {"pdf": "sha256", "link_pdf": "link_sha256"}
KEY_FIELD = {"pdf": "pdf_key", "link_pdf": "link_pdf_key"}

logger = logging.getLogger(__name__)


class IssuedDocumentUnreadable(Exception):
    """The stored object is missing or is not the PDF recorded as issued (hash differs)."""


def documents_storage() -> Storage:
    """The configured storage, looked up on each use (settings may change in tests)."""
    return storages[STORAGE_ALIAS]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _object_key(*, plan_id: int, version: int, copy: Copy) -> str:
    # No name in the key: plan and version for a person looking at the bucket, a random part so
    # a key cannot be guessed and a leftover object is never reused.
    suffix = "-link" if copy == "link_pdf" else ""
    return f"plan-{plan_id}/v{version}-{secrets.token_hex(8)}{suffix}.pdf"


def stored_object_write(key: str, data: bytes) -> str:
    """Store ``data`` under ``key`` (or the storage's free variant of it); the key used."""
    return documents_storage().save(key, ContentFile(data))


def issued_document_objects_delete(keys: Iterable[str]) -> None:
    """Delete stored objects; a failure is logged (the object stays for an operator) and the
    others are still deleted."""
    storage = documents_storage()
    for key in keys:
        if not key:
            continue
        try:
            storage.delete(key)
        except Exception:
            logger.exception("Could not delete the stored issued document %s", key)


@contextmanager
def issued_document_store(
    *, plan_id: int, version: int, pdf: bytes, link_pdf: bytes = b""
) -> Iterator[dict[str, str]]:
    """Store the PDF (and its link copy) and yield the row's fields for them.

    Use it around the row's creation: when the block raises, the objects just written are
    deleted, so no row points at missing bytes and no bytes are left without a row::

        with issued_document_store(plan_id=..., version=..., pdf=pdf) as stored:
            IssuedDocument.objects.create(..., **stored)
    """
    if not pdf:
        raise ValueError("An issued document needs the PDF's bytes.")
    written: list[str] = []
    try:
        fields = {"sha256": sha256(pdf), "link_sha256": sha256(link_pdf) if link_pdf else ""}
        for copy, data in (("pdf", pdf), ("link_pdf", link_pdf)):
            key = ""
            if data:
                key = stored_object_write(
                    _object_key(plan_id=plan_id, version=version, copy=copy), data
                )
                written.append(key)
            fields[KEY_FIELD[copy]] = key
        yield fields
    except BaseException:
        issued_document_objects_delete(written)
        raise


def stored_object_read(key: str, expected_sha256: str) -> bytes:
    """The object's bytes, only if they hash to ``expected_sha256``."""
    if not key or not expected_sha256:
        raise IssuedDocumentUnreadable("No stored object is recorded for this document.")
    try:
        with documents_storage().open(key, "rb") as handle:
            data = handle.read()
    except OSError as error:
        raise IssuedDocumentUnreadable(f"The stored object {key} is missing.") from error
    except Exception as error:  # e.g. botocore's ClientError for a missing S3 object
        raise IssuedDocumentUnreadable(f"The stored object {key} could not be read.") from error
    if sha256(data) != expected_sha256:
        raise IssuedDocumentUnreadable(
            f"The stored object {key} does not match the SHA-256 recorded when it was issued."
        )
    return data


def issued_document_bytes(document: IssuedDocument, which: Copy = "pdf") -> bytes:
    """The PDF exactly as issued (``which="link_pdf"``: the first-name copy), hash checked.

    Raises ``IssuedDocumentUnreadable`` for an erased document, a version without a link copy,
    or a missing or altered object; never returns other bytes.
    """
    if document.erased_at is not None:
        raise IssuedDocumentUnreadable("This document was erased at the patient's request.")
    key = getattr(document, KEY_FIELD[which])
    try:
        return stored_object_read(key, getattr(document, HASH_FIELD[which]))
    except IssuedDocumentUnreadable:
        logger.error(
            "Issued document %s (%s) failed its integrity check", document.pk, which, exc_info=True
        )
        raise


def stored_object_keys(folder: str = "") -> Iterator[str]:
    """Every object's key in the documents storage (the health check's probes aside)."""
    try:
        folders, files = documents_storage().listdir(folder)
    except FileNotFoundError:
        return  # a filesystem storage before its first PDF has no folder yet
    for name in files:
        yield f"{folder}{name}"
    for sub in folders:
        if not folder and sub == "health":
            continue
        yield from stored_object_keys(f"{folder}{sub}/")
