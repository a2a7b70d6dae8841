"""Reads scoped to the user's clinics: the one place that decides who sees which patient, and
which clinic's team a clinic admin manages."""

import dataclasses
import datetime as dt
from functools import cache

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.db.models import DateField, F, Q, QuerySet, Value
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clinic import units
from clinic.audit import note_read
from clinic.compiled import ANY_ID, ANY_USER, compiled, put_in
from clinic.models import AccessEvent, Clinic, Membership, Patient

DAY = DateField()


def is_anonymised(patient: Patient) -> bool:
    """Erased on request (``records.services.patient_anonymise``): the erasure is an event."""
    return patient.access_events.filter(what=AccessEvent.What.ERASURE).exists()


def clinics_for_user(*, user) -> QuerySet[Clinic]:
    return Clinic.objects.filter(memberships__user=user)


def distance_unit_for_user(*, user) -> str:
    """The unit for a page of no one clinic: miles when every clinic of the user uses miles,
    else km (the stored unit, and what a km clinic reads)."""
    used = set(clinics_for_user(user=user).values_list("distance_unit", flat=True))
    return units.MILES if used == {units.MILES} else units.KM


def patients_for_user(*, user) -> QuerySet[Patient]:
    return Patient.objects.filter(clinic__memberships__user=user).select_related("clinic")


# What the dashboard's patient table shows: the rest of a patient is not read for it.
PATIENT_LIST_FIELDS = (
    "first_name",
    "last_name",
    "record_number",
    "date_of_birth",
    "clinic__name",
)


def patient_list(*, user, search: str = "") -> QuerySet[Patient]:
    """The dashboard's list of the user's clinics' patients, by name (then by id, so a page never
    repeats a patient of the one before), those matching every word of ``search`` (in a name,
    or the exact record number); only the columns the table shows (``PATIENT_LIST_FIELDS``).

    The user's clinics are read first (one small query): filtered on a known clinic, the
    database walks the (clinic, last name, first name) index in order and stops after the page,
    where a join to the memberships made it sort every patient of the clinic.
    """
    clinics = list(Membership.objects.filter(user=user).values_list("clinic_id", flat=True))
    patients = Patient.objects.filter(clinic_id__in=clinics)  # IN (one) is "= one" to PostgreSQL
    for term in search.split():
        patients = patients.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(record_number__iexact=term)
        )
    return (
        patients.select_related("clinic")
        .only(*PATIENT_LIST_FIELDS)
        .order_by("last_name", "first_name", "pk")
    )


# The day the "seen recently" SQL is compiled for once per process (with ``ANY_USER``, the
# stand-in user of ``clinic.compiled``): no other parameter of the SQL equals either.
ANY_DAY = dt.date(1, 1, 1)


@cache
def _seen_recently_sql(using: str) -> tuple[str, tuple]:
    """Every day the user assessed or followed up one of their clinics' patients since a day, with
    the patient's name (a UNION of two index-sized joins), and per patient the last. On the same
    last day, those the user assessed in the period come first, last assessed first, then by id
    (as the dashboard always listed them)."""
    patients = Patient.objects.using(using).filter(clinic__memberships__user_id=ANY_USER)
    fields = ("pk", "first_name", "last_name", "day", "assessed")
    assessed = patients.filter(
        assessments__clinician_id=ANY_USER, assessments__assessed_on__gte=ANY_DAY
    ).annotate(day=F("assessments__assessed_on"), assessed=F("assessments__assessed_on"))
    followed_up = patients.filter(
        plans__session_logs__recorded_by_id=ANY_USER,
        plans__session_logs__session_date__gte=ANY_DAY,
    ).annotate(day=F("plans__session_logs__session_date"), assessed=Value(None, DateField()))
    days = (
        assessed.values_list(*fields)
        .order_by()
        .union(followed_up.values_list(*fields).order_by(), all=True)
    )
    sql, params = days.query.sql_with_params()
    # The ORM's own SQL, its values passed as parameters: nothing here is user text.
    return (
        'SELECT "pk", "first_name", "last_name", MAX("day") AS "last_seen"'  # noqa: S608
        f' FROM ({sql}) "seen" GROUP BY "pk", "first_name", "last_name"'
        ' ORDER BY MAX("day") DESC, MAX("assessed") IS NULL, MAX("assessed") DESC, "pk"'
        " LIMIT %s",
        params,
    )


def patients_seen_recently(*, user, size: int, days: int = 30) -> list[Patient]:
    """The user's own patients (assessed or followed up by them) seen in the last ``days``,
    the ``size`` seen last, each with ``last_seen``; only their names are read.

    One query of the days the user saw each patient in the period, read through the
    (clinician, day) and (recorder, day) indexes, instead of aggregating every assessment and
    session of the clinic. Building and compiling it cost more than running it: its SQL is
    compiled once per process and the user's id and the first day go into its parameters.
    """
    using = router.db_for_read(Patient)
    sql, shape = _seen_recently_sql(using)
    adapt = connections[using].ops.adapt_datefield_value
    any_day, since = adapt(ANY_DAY), adapt(timezone.localdate() - dt.timedelta(days=days))
    params = put_in(shape, {ANY_USER: user.pk, any_day: since})
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [*params, size])
        rows = cursor.fetchall()
    seen = []
    for pk, first_name, last_name, last_seen in rows:
        patient = Patient.from_db(
            using, ["id", "first_name", "last_name"], [pk, first_name, last_name]
        )
        patient.last_seen = DAY.to_python(last_seen)  # SQLite gives the MAX of days as text
        seen.append(patient)
    return seen


def get_patient_for_user(*, user, pk) -> Patient:
    """The patient, or 404 when it is not in one of the user's clinics (never 403).

    Noted as read: the request's access record names it (``clinic.audit``).
    """
    patient = get_object_or_404(patients_for_user(user=user), pk=pk)
    note_read(patient)
    return patient


def _patient_page_patient() -> QuerySet[Patient]:
    """The patient page's patient with the user's role in its clinic (from the membership the
    scoping joins: one per user and clinic), written with stand-in ids (``clinic.compiled``)."""
    return (
        patients_for_user(user=ANY_USER)
        .filter(pk=ANY_ID)
        .annotate(user_role=F("clinic__memberships__role"))
    )


def get_patient_for_patient_page(*, user, pk) -> tuple[Patient, bool]:
    """``get_patient_for_user`` and whether the user is its clinic's admin
    (``is_clinic_admin``), in one query compiled once per process."""
    found = compiled(_patient_page_patient, Patient).instances({ANY_USER: user.pk, ANY_ID: pk})
    if not found:
        raise Http404
    patient = found[0]
    note_read(patient)
    return patient, patient.user_role == Membership.Role.CLINIC_ADMIN


def is_clinic_admin(*, user, clinic: Clinic) -> bool:
    return Membership.objects.filter(
        user=user, clinic=clinic, role=Membership.Role.CLINIC_ADMIN
    ).exists()


def team_clinics(*, user) -> QuerySet[Clinic]:
    """The clinics whose team ``user`` manages (as their clinic admin)."""
    return Clinic.objects.filter(
        memberships__user=user, memberships__role=Membership.Role.CLINIC_ADMIN
    )


def get_team_clinic_for_admin(*, user, pk) -> Clinic:
    """The clinic whose team ``user`` manages: 404 outside their clinics, 403 for a member
    who is not its clinic admin (the anonymise page's convention)."""
    clinic = get_object_or_404(clinics_for_user(user=user).distinct(), pk=pk)
    if not is_clinic_admin(user=user, clinic=clinic):
        raise PermissionDenied("Only the clinic's admins manage its team.")
    return clinic


def team_members(*, clinic: Clinic) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(clinic=clinic)
        .select_related("user")
        .order_by("-user__is_active", "user__last_name", "user__first_name", "user__username")
    )


def get_team_member(*, clinic: Clinic, pk) -> Membership:
    return get_object_or_404(team_members(clinic=clinic), pk=pk)


@dataclasses.dataclass(frozen=True)
class TeamChange:
    at: dt.datetime
    by: str
    member: str
    what: str


def _person(user) -> str:
    if user is None:
        return "the system"
    return user.get_full_name() or user.get_username()


def team_changes(*, clinic: Clinic, limit: int = 50) -> list[TeamChange]:
    """Who added whom, changed a role, deactivated or reactivated an account, and when, newest
    first: the clinic's memberships' history and its members' accounts' history."""
    roles = dict(Membership.Role.choices)
    changes: list[TeamChange] = []
    memberships = (
        Membership.history.filter(clinic_id=clinic.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    last_role: dict[int, str] = {}
    names = {
        m.user_id: _person(m.user)
        for m in Membership.objects.filter(clinic=clinic).select_related("user")
    }
    for row in memberships:
        member = names.get(row.user_id, f"account #{row.user_id}")
        if row.history_type == "+":
            what = f"added as {roles.get(row.role, row.role).lower()}"
        elif row.history_type == "-":
            what = "removed from the clinic"
        elif last_role.get(row.id) != row.role:
            what = f"role changed to {roles.get(row.role, row.role).lower()}"
        else:
            continue
        last_role[row.id] = row.role
        changes.append(TeamChange(row.history_date, _person(row.history_user), member, what))
    accounts = (
        get_user_model()
        .history.filter(id__in=names)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    last_active: dict[int, bool] = {}
    for row in accounts:
        before = last_active.get(row.id, True)
        last_active[row.id] = row.is_active
        if row.history_type == "~" and before != row.is_active:
            what = "account reactivated" if row.is_active else "account deactivated"
            changes.append(
                TeamChange(row.history_date, _person(row.history_user), names[row.id], what)
            )
    changes.sort(key=lambda change: change.at, reverse=True)
    return changes[:limit]
