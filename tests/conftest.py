"""The fixed cast of every access test (after healthchecks' Alice, Bob and Charlie).

alice treats the patient; bob is her colleague in the same clinic; charlie works in another
clinic and must never learn the patient exists.
"""

import shutil

import pytest
import weasyprint
from django.conf import settings

from tests.factories import (
    AssessmentFactory,
    ClinicFactory,
    PatientFactory,
    UserFactory,
    verified_login,
)


@pytest.fixture
def clinic(db):
    return ClinicFactory(name="Riverside")


@pytest.fixture
def other_clinic(db):
    return ClinicFactory(name="Hilltop")


@pytest.fixture
def alice(clinic):
    return UserFactory(username="alice", clinic=clinic)


@pytest.fixture
def bob(clinic):
    return UserFactory(username="bob", clinic=clinic)


@pytest.fixture
def charlie(other_clinic):
    return UserFactory(username="charlie", clinic=other_clinic)


@pytest.fixture
def patient(clinic):
    return PatientFactory(clinic=clinic, first_name="Rosa", last_name="Runner")


@pytest.fixture
def assessment(patient, alice):
    return AssessmentFactory(patient=patient, clinician=alice)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def admin_client(admin_user):
    """pytest-django's superuser client (its own), past the second factor superusers need."""
    from django.test import Client

    return verified_login(Client(), admin_user)


@pytest.fixture(autouse=True)
def _pdf_renders_are_marked(request, monkeypatch):
    """Keeps ``pytest -m "not pdf"`` a quick loop: an unmarked test that renders a PDF fails."""
    if request.node.get_closest_marker("pdf") is None:
        monkeypatch.setattr(weasyprint.HTML, "write_pdf", _unmarked_pdf_render)


def _unmarked_pdf_render(*args, **kwargs):
    pytest.fail("This test renders a PDF with WeasyPrint: mark it @pytest.mark.pdf.")


@pytest.fixture(autouse=True)
def _stored_pdfs_go_with_the_test():
    """A test's rows are rolled back; the PDFs it stored (config/settings_test.py's folder) are
    removed with them, so no test sees another's objects."""
    yield
    if "clinic-test-media-" in str(settings.MEDIA_ROOT):
        shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
