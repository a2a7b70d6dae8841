"""``GET /health/``: can this app server do its work? Asked by a load balancer, so no login.

Each component is tried for real, not just configured: the database answers a query, the cache
gives back a value written to it, the task queue's backend passes its own checks, and the
issued-documents storage writes, reads and deletes a probe object. The answer is JSON naming
each component; 200 when all pass, 503 naming what failed (a load balancer then sends no
patients' requests here). It shows no patient data and reads no record, so it is not audited.
A failure names the component and the kind of error only; the message (which may name hosts or
users) goes to the error log, not to whoever asks.

The queue check is pluggable (``HEALTH_QUEUE_CHECK``, a dotted path), so the task framework's
own checks can replace the default one.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connections
from django.http import JsonResponse
from django.utils.module_loading import import_string

# The storage that holds the issued PDFs (rehab.documents); probed for write, read and delete.
PROBED_STORAGE = "issued_documents"
NOT_CONFIGURED = "not configured"

logger = logging.getLogger(__name__)


class Unhealthy(Exception):
    """A component answered, but not as it should."""


def check_database() -> str:
    for alias in connections:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone() != (1,):
                raise Unhealthy(f"database {alias!r} did not answer SELECT 1")
    return "ok"


def check_cache() -> str:
    cache = caches["default"]
    key, value = f"health-probe-{secrets.token_hex(8)}", secrets.token_hex(8)
    cache.set(key, value, timeout=30)
    try:
        if cache.get(key) != value:
            raise Unhealthy("the cache did not give back the value just written")
    finally:
        cache.delete(key)
    return "ok"


def check_task_queue() -> str:
    """Each configured task backend (``settings.TASKS``, django-tasks) passes its own system
    checks; without ``TASKS`` there is no queue to check."""
    configured = getattr(settings, "TASKS", None)
    if not configured:
        return NOT_CONFIGURED
    try:
        from django_tasks import task_backends  # type: ignore[import-not-found]
    except ImportError as error:
        raise Unhealthy("TASKS is set but django-tasks is not installed") from error
    for alias in configured:
        backend = task_backends[alias]
        problems = [m.msg for m in backend.check() if m.is_serious()]
        if problems:
            raise Unhealthy(f"task backend {alias!r}: {'; '.join(problems)}")
    return "ok"


def check_storage() -> str:
    storage = storages[PROBED_STORAGE]
    value = secrets.token_bytes(16)
    name = storage.save(f"health/probe-{secrets.token_hex(8)}", ContentFile(value))
    try:
        with storage.open(name, "rb") as handle:
            if handle.read() != value:
                raise Unhealthy("the storage did not give back the probe just written")
    finally:
        storage.delete(name)
    if storage.exists(name):
        raise Unhealthy("the storage kept the probe after deleting it")
    return "ok"


def _queue_check() -> Callable[[], str]:
    return import_string(getattr(settings, "HEALTH_QUEUE_CHECK", "clinic.health.check_task_queue"))


def components() -> dict[str, Callable[[], str]]:
    return {
        "database": check_database,
        "cache": check_cache,
        "queue": _queue_check(),
        "storage": check_storage,
    }


def health_report() -> tuple[bool, dict[str, dict[str, str]]]:
    """Every component's status; healthy only when none failed."""
    report: dict[str, dict[str, str]] = {}
    for name, check in components().items():
        try:
            report[name] = {"status": check()}
        except Exception as error:  # any failure is the answer, not a crash of the check
            logger.error("Health check: %s failed", name, exc_info=True)
            report[name] = {"status": "failed", "error": type(error).__name__}
    return all(r["status"] != "failed" for r in report.values()), report


def health_response() -> JsonResponse:
    healthy, report = health_report()
    failed = sorted(name for name, r in report.items() if r["status"] == "failed")
    return JsonResponse(
        {"status": "ok" if healthy else "failed", "failed": failed, "components": report},
        status=200 if healthy else 503,
    )
