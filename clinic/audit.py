"""The audit of reads: who opened, listed, downloaded or exported a patient's data, and when.

Changes are audited by django-simple-history (every save and delete of the clinical models,
with the user from ``HistoryRequestMiddleware``); reads are audited here, by one mechanism that
a new view cannot forget: ``ReadAuditMiddleware`` writes one ``AccessEvent`` per answered
request (one INSERT; a changelist writes one row per listed record in that INSERT) to any URL
that ``reads_patient_data`` says shows patient data — every app URL except the short
``NOT_PATIENT_DATA`` list, and the admin's list, change, history and delete pages of every
declared patient record (``clinic.patient_records``). Which record was read is not declared
per view:

- in the app, the scoped selectors that every view must fetch records through
  (``get_patient_for_user`` and its siblings) call ``note_read``; the last record noted names
  the patient;
- in the admin, the record (or the listed rows) comes from the page's own context.

A refused request (401, 403, 404, 405), a redirect or a server error records nothing; the record
is written once the answer is ready, so a page does not list its own opening. The patient's own
plan link is audited the same way, with no user. ``tests/functional/test_audit_every_read.py``
walks every URL of the resolver, app and admin, and asserts the record.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar

from django.contrib.admin import ModelAdmin
from django.db import models
from django.urls import ResolverMatch

from clinic.models import AccessEvent
from clinic.patient_records import record_for
from clinic.security import client_ip

What = AccessEvent.What

# App URLs that show no patient's data, by name, with the reason. Every other app URL is
# audited; a new one that reads nothing through the selectors fails the audit test.
NOT_PATIENT_DATA: dict[str, str] = {
    "login": "account pages",
    "logout": "account pages",
    "password_reset": "account pages",
    "password_reset_done": "account pages",
    "password_reset_confirm": "account pages",
    "password_reset_complete": "account pages",
    "two_factor_setup": "account pages",
    "two_factor_verify": "account pages",
    "dashboard": "lists the user's own clinic's patients by name; search terms are never stored",
    "patient_create": "an empty form, or the patient just typed in (its creation is in history)",
    "differential_knowledge": "the clinical knowledge, no patient",
    "assessment_preview": "the differential for findings being typed (htmx, per keystroke); "
    "nothing stored is shown — the form page around it is audited",
}

# The admin views that show a declared patient record; the admin's other views (add, the
# site's own pages) show none. Any other view of a patient-record admin fails the audit test.
ADMIN_READS = frozenset(
    {"changelist_view", "change_view", "history_view", "history_form_view", "delete_view"}
)
ADMIN_NON_READS = frozenset({"add_view"})

# What a read is called when its view says nothing (``read_as``): by the kind of record.
_WHAT_BY_RECORD = {
    "clinic.patient": What.PATIENT,
    "assessments.assessment": What.ASSESSMENT,
    "rehab.plan": What.PLAN,
    "rehab.prescription": What.PLAN,
    "rehab.issueddocument": What.DOCUMENT,
}

# The answers that showed or handed out something: pages and files, a form re-shown with its
# errors (400), an erased PDF asked for (410). Refusals (401, 403, 404, 405) and redirects show
# nothing (a POST's change is in the history; the page it leads to is a read of its own).
_ANSWERED = frozenset({*range(200, 300), 400, 410})

_reads: ContextVar[list[models.Model] | None] = ContextVar("audit_reads", default=None)


def note_read(obj: models.Model) -> None:
    """Called by the scoped selectors: this request read ``obj`` (no-op outside a request)."""
    reads = _reads.get()
    if reads is not None:
        reads.append(obj)


def read_as(what: str, *, post: str | None = None):
    """Name a view's reads more precisely than the kind of record (history, export, …)."""

    def mark(view):
        view.audit_what = (what, post or what)
        return view

    return mark


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


def _view_name(match: ResolverMatch) -> str:
    return match.view_name or match._func_path


def _admin_view(match: ResolverMatch) -> tuple[ModelAdmin, str] | None:
    """The model admin and the name of its method behind an admin URL, if there is one."""
    view = match.func
    while view is not None:
        model_admin = getattr(view, "__self__", None)  # the bound method, under the wrappers
        if isinstance(model_admin, ModelAdmin):
            return model_admin, view.__name__
        view = getattr(view, "__wrapped__", None)
    return None


def is_patient_record(model: type[models.Model]) -> bool:
    try:
        record_for(model)
    except LookupError:
        return False
    return True


def reads_patient_data(match: ResolverMatch) -> bool | None:
    """Whether the URL shows patient data: True, False, or None for an unclassified admin view.

    The middleware audits the True ones; the audit test fails on None.
    """
    if "admin" in match.namespaces:
        found = _admin_view(match)
        if found is None:
            return False  # the admin site's own pages (index, login, knowledge, redirects)
        model_admin, method = found
        if not is_patient_record(model_admin.model) or method in ADMIN_NON_READS:
            return False
        return True if method in ADMIN_READS else None
    return match.url_name not in NOT_PATIENT_DATA


def _patient_ids(model: type[models.Model], rows: list[models.Model]) -> dict[int, int]:
    """Each row's patient id: from the rows themselves when one step away, else one query."""
    record = record_for(model)
    if record.via is None:
        return {row.pk: row.pk for row in rows}
    if record.parent is not None and record.parent.via is None:
        return {row.pk: getattr(row, f"{record.via}_id") for row in rows}
    lookup = f"{record.patient_lookup}__pk"
    return dict(
        model._default_manager.filter(pk__in=[row.pk for row in rows]).values_list("pk", lookup)
    )


def _admin_reads(response, method: str) -> tuple[list[models.Model], str, str]:
    """The records an admin page showed, what to call the read and its reason."""
    context = getattr(response, "context_data", None) or {}
    if method == "changelist_view":
        changelist = context.get("cl")
        if changelist is not None:
            search = f"search: {changelist.query}" if changelist.query else ""
            return list(changelist.result_list), What.ADMIN_LIST, search
        # An action's confirmation page (delete_selected) lists the chosen rows.
        return list(context.get("queryset") or []), What.ADMIN_LIST, "action"
    shown = context.get("original") or context.get("object")
    return ([shown] if isinstance(shown, models.Model) else []), What.ADMIN, ""


def _events(request, response, match: ResolverMatch, noted: list[models.Model]):
    found = _admin_view(match) if "admin" in match.namespaces else None
    if found is not None:
        rows, what, reason = _admin_reads(response, found[1])
    else:
        rows, reason = noted[-1:], ""
        what_get, what_post = getattr(match.func, "audit_what", (None, None))
        what = (what_post if request.method == "POST" else what_get) or (
            _WHAT_BY_RECORD.get(rows[0]._meta.label_lower, What.PATIENT) if rows else ""
        )
    rows = [row for row in rows if row.pk is not None and is_patient_record(type(row))]
    if not rows:
        return []
    patients = _patient_ids(type(rows[0]), rows)
    user = request.user if request.user.is_authenticated else None
    ip = _address(request)
    view = _view_name(match)
    return [
        AccessEvent(
            patient_id=patients[row.pk],
            user=user,
            what=what,
            view=view,
            object_type=row._meta.label_lower,
            object_id=row.pk,
            object_repr=describe(row),
            reason=reason,
            ip=ip,
        )
        for row in rows
        if patients.get(row.pk) is not None
    ]


class ReadAuditMiddleware:
    """Writes the access record of every answered request to a URL that shows patient data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _reads.set([])
        try:
            response = self.get_response(request)
            noted = _reads.get() or []
        finally:
            _reads.reset(token)
        match = getattr(request, "resolver_match", None)
        if match is not None and response.status_code in _ANSWERED and reads_patient_data(match):
            events = _events(request, response, match, noted)
            if events:
                AccessEvent.objects.bulk_create(events)
        return response
