"""rehab 0007 moves the issued PDFs' bytes out of the database into the storage, and back.

The migration is run for real on the test database: rows written with bytes at 0006 come out
of 0007 with keys whose objects hold exactly those bytes; an erased row gets no object; a row
whose bytes do not match its recorded SHA-256 stops the migration.
"""

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from rehab.documents import documents_storage, issued_document_bytes
from rehab.models import IssuedDocument
from tests.rehab_factories import plan_for

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("rehab", "0009_issue_request")]
AFTER = [("rehab", "0010_issued_documents_in_storage")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _back_to_the_latest_migrations():
    """Whatever a test leaves, the next one finds every app fully migrated."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _old_row(apps, plan, *, version, pdf, link_pdf=b"", erased=False, sha256=None):
    return apps.get_model("rehab", "IssuedDocument")._base_manager.create(
        plan_id=plan.pk,
        version=version,
        pdf=pdf,
        sha256=sha256 or (hashlib.sha256(pdf).hexdigest() if pdf else "a" * 64),
        link_pdf=link_pdf,
        link_sha256=hashlib.sha256(link_pdf).hexdigest() if link_pdf else "",
        page_size="A4",
        issued_by_id=plan.created_by_id,
        erased_at="2026-11-01T10:00:00Z" if erased else None,
    )


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice)


def test_the_bytes_move_into_the_storage_and_back(plan):
    old = _migrate(BEFORE)
    issued = _old_row(old, plan, version=1, pdf=b"%PDF-1.4 one", link_pdf=b"%PDF-1.4 link")
    erased = _old_row(old, plan, version=2, pdf=b"", erased=True)

    _migrate(AFTER)
    moved = IssuedDocument.objects.get(pk=issued.pk)
    assert issued_document_bytes(moved) == b"%PDF-1.4 one"
    assert issued_document_bytes(moved, "link_pdf") == b"%PDF-1.4 link"
    assert IssuedDocument.objects.get(pk=erased.pk).pdf_key == ""
    storage = documents_storage()
    assert storage.exists(moved.pdf_key) and storage.exists(moved.link_pdf_key)

    back = _migrate(BEFORE)
    row = back.get_model("rehab", "IssuedDocument")._base_manager.get(pk=issued.pk)
    assert (bytes(row.pdf), bytes(row.link_pdf)) == (b"%PDF-1.4 one", b"%PDF-1.4 link")
    assert not storage.exists(moved.pdf_key)  # the objects went back into the row


def test_a_row_that_does_not_match_its_hash_stops_the_migration(plan):
    old = _migrate(BEFORE)
    _old_row(old, plan, version=1, pdf=b"%PDF-1.4 altered", sha256="0" * 64)

    with pytest.raises(RuntimeError, match="do not match the SHA-256"):
        _migrate(AFTER)
    # Nothing moved: the row still holds its bytes at 0006 (and goes, so the rest can migrate).
    rows = old.get_model("rehab", "IssuedDocument")._base_manager.all()
    assert [bytes(pdf) for pdf in rows.values_list("pdf", flat=True)] == [b"%PDF-1.4 altered"]
    rows._raw_delete(rows.db)
