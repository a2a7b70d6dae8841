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
- in the admin, a list's rows come from its changelist; an object's page reads the record its
  URL names, looked up through the admin's own scoped queryset.

A refused request (401, 403, 404, 405), a redirect or a server error records nothing; the record
is written once the answer is ready, so a page does not list its own opening. The patient's own
plan link is audited the same way, with no user. ``tests/functional/test_audit_every_read.py``
walks every URL of the resolver, app and admin, and asserts the record.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar

from django.contrib.admin import ModelAdmin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
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
    "dashboard": "lists the user's own clinic's patients by name, with the inbox's one-line "
    "news on their active plans (opening a plan is audited); search terms are never stored",
    "dashboard_list": "the dashboard's alerts, inbox or due list in full: the same names and "
    "one-line news as the dashboard (opening a plan is audited)",
    "patient_create": "an empty form, or the patient just typed in (its creation is in history)",
    "differential_knowledge": "the clinical knowledge, no patient",
    "team": "the clinic's staff and their roles, no patient",
    "team_member": "a change to a staff member's role or account, no patient",
    "assessment_preview": "the differential for findings being typed (htmx, per keystroke); "
    "nothing stored is shown — the form page around it is audited",
    "plan_issue_status": "whether a requested PDF is ready (htmx, polled every 2 s): says "
    '"preparing" and names no one — the plan page around it is audited',
    "health": "the load balancer's check of database, cache, queue and storage; no record",
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
ANSWERED = frozenset({*range(200, 300), 400, 410})

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


def describe(model: type[models.Model], pk) -> str:
    """The kind and id of a record, never its content (the audit must not hold a name)."""
    return f"{str(model._meta.verbose_name).capitalize()} #{pk}"


def _address(request) -> str | None:
    address = client_ip(request)
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None


def _view_name(match: ResolverMatch) -> str:
    return match.view_name or match._func_path


def admin_view(view) -> tuple[ModelAdmin, str] | None:
    """The model admin and the name of its method behind an admin URL's view, if any."""
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


def reads_patient_data(view, url_name: str | None, *, admin: bool) -> bool | None:
    """Whether a URL's view shows patient data: True, False, or None for an unclassified view
    of a patient record's admin. The middleware audits the True ones; the audit test fails on
    None.
    """
    if admin:
        found = admin_view(view)
        if found is None:
            return False  # the admin site's own pages (index, login, knowledge, redirects)
        model_admin, method = found
        if not is_patient_record(model_admin.model) or method in ADMIN_NON_READS:
            return False
        return True if method in ADMIN_READS else None
    return url_name not in NOT_PATIENT_DATA


def _patient_ids(model: type[models.Model], rows: list[models.Model]) -> dict[int, int]:
    """Each row's patient id: from the rows themselves when one step away, else one query."""
    record = record_for(model)
    if record.via is None:
        return {row.pk: row.pk for row in rows}
    if record.parent is not None and record.parent.via is None:
        return {row.pk: getattr(row, f"{record.via}_id") for row in rows}
    return _patient_ids_of(model._default_manager.filter(pk__in=[row.pk for row in rows]))


def _patient_ids_of(queryset: models.QuerySet) -> dict[int, int]:
    record = record_for(queryset.model)
    lookup = f"{record.patient_lookup}__pk" if record.patient_lookup else "pk"
    return dict(queryset.values_list("pk", lookup))


def _noted_read(request, match: ResolverMatch, noted: list[models.Model]):
    """An app page: the last record the selectors noted, named as the view asks."""
    rows = [row for row in noted[-1:] if is_patient_record(type(row))]
    if not rows:
        return None, {}, "", ""
    model = type(rows[0])
    what_get, what_post = getattr(match.func, "audit_what", (None, None))
    what = (what_post if request.method == "POST" else what_get) or _WHAT_BY_RECORD.get(
        model._meta.label_lower, What.PATIENT
    )
    return model, {rows[0].pk: _patient_id(rows[0])}, what, ""


def _patient_id(obj: models.Model) -> int:
    """One record's patient id, through the parents the selectors already fetched with it."""
    record = record_for(type(obj))
    while record.parent is not None and record.parent.via is not None:
        obj, record = getattr(obj, record.via), record.parent
    return getattr(obj, f"{record.via}_id") if record.via else obj.pk


def _admin_read(request, response, match: ResolverMatch, model_admin: ModelAdmin, method: str):
    """An admin page: the listed rows (from the changelist), or the object its URL names.

    The object is looked up again through the admin's own scoped queryset (one query):
    django-simple-history's pages are rendered without a context to read it from.
    """
    model = model_admin.model
    if method != "changelist_view":
        try:
            found = model_admin.get_queryset(request).filter(
                pk=unquote(match.kwargs.get("object_id") or match.args[0])
            )
            return model, _patient_ids_of(found), What.ADMIN, ""
        except (IndexError, ValueError, ValidationError):
            return model, {}, What.ADMIN, ""
    context = getattr(response, "context_data", None) or {}
    changelist = context.get("cl")
    if changelist is not None:
        rows, reason = list(changelist.result_list), f"search: {changelist.query}"
        reason = reason if changelist.query else ""
    else:  # an action's confirmation page (delete_selected) lists the chosen rows
        rows, reason = list(context.get("queryset") or []), "action"
    return model, _patient_ids(model, rows) if rows else {}, What.ADMIN_LIST, reason


def _events(request, response, match: ResolverMatch, noted: list[models.Model]):
    found = admin_view(match.func) if "admin" in match.namespaces else None
    if found is not None:
        model, patients, what, reason = _admin_read(request, response, match, *found)
    else:
        model, patients, what, reason = _noted_read(request, match, noted)
    if not patients:
        return []
    user = request.user if request.user.is_authenticated else None
    ip = _address(request)
    view = _view_name(match)
    return [
        AccessEvent(
            patient_id=patient_id,
            user=user,
            what=what,
            view=view,
            object_type=model._meta.label_lower,
            object_id=pk,
            object_repr=describe(model, pk),
            reason=reason,
            ip=ip,
        )
        for pk, patient_id in patients.items()
        if patient_id is not None
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
        if (
            match is not None
            and response.status_code in ANSWERED
            and reads_patient_data(match.func, match.url_name, admin="admin" in match.namespaces)
        ):
            events = _events(request, response, match, noted)
            if events:
                AccessEvent.objects.bulk_create(events)
        return response
