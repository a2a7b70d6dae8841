"""Test settings: only what makes the suite faster or hermetic."""

import os
import tempfile
from pathlib import Path

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run inside the request that enqueues them; tests of the queue itself switch to the
# database backend and run a worker (tests/functional/test_tasks.py, tests/e2e/test_issue_pdf.py).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}
# Issued PDFs go to a folder of this test process, removed when the run ends (tests/conftest.py).
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="clinic-test-media-"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "issued_documents": documents_storage("filesystem", MEDIA_ROOT),  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# SQLite: a file, not the default in-memory database, so the browser tests' live server threads
# each get their own connection instead of sharing one across concurrent requests.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test process, so parallel runs in the same checkout never share it.
    DATABASES["default"]["TEST"] = {"NAME": BASE_DIR / f".test-db-{os.getpid()}.sqlite3"}  # noqa: F405
