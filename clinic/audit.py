"""The audit of reads: who opened, downloaded or exported a patient's record, and when.

Changes are audited by django-simple-history (every save and delete of the clinical models,
with the user from ``HistoryRequestMiddleware``); reads leave no trace there, so the views that
show or hand out a record call ``access_record`` once per request. The patient's own plan link
is audited the same way, with no user.
"""

import ipaddress

from django.db import models

from clinic.models import AccessEvent, Patient
from clinic.security import client_ip


def describe(obj: models.Model | None) -> str:
    """The kind and id of a record, never its content (the audit must not hold a name)."""
    if obj is None:
        return ""
    return f"{str(obj._meta.verbose_name).capitalize()} #{obj.pk}"


def _address(request) -> str | None:
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None


def access_record(
    *, request, patient: Patient, what: str, obj: models.Model | None = None, reason: str = ""
) -> AccessEvent:
    """Record that the request's user (or, with no login, the patient's link) read ``obj``."""
    user = getattr(request, "user", None)
    return AccessEvent.objects.create(
        patient=patient,
        user=user if user is not None and user.is_authenticated else None,
        what=what,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        object_repr=describe(obj),
        reason=reason,
        ip=_address(request),
    )


def link_use(request) -> str:
    """What a request to the patient's plan page did with the link."""
    return AccessEvent.What.LINK_POST if request.method == "POST" else AccessEvent.What.LINK_PAGE
