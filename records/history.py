"""A patient's audit trail: every change and every read of their record, newest first.

Changes come from django-simple-history's tables of every tracked patient record
(``clinic.patient_records``); reads from ``AccessEvent``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from django.core.paginator import Page, Paginator
from django.db import connections, models, router
from django.db.models import F, Value

from assessments.vocabulary import load_vocabulary
from clinic import units
from clinic.compiled import ANY_ID, put_in
from clinic.models import AccessEvent, Patient
from clinic.patient_records import tracked_records


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class TrailEntry:
    at: dt.datetime
    kind: str  # "change" or "read"
    action: str  # created / changed / deleted, or what was read
    record: str  # "Assessment #12"
    who: str
    changes: tuple[Change, ...] = ()
    ip: str | None = None
    reason: str = ""


ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
# Bookkeeping the PT never typed: left out of the diffs (``version`` and the ``auto_now``
# fields are not editable, so diff_against skips them already).
NOT_SHOWN = {"updated_at"}


READS = -1  # the "kind" number of AccessEvent rows in the merged stream


def patient_audit_stream(*, patient: Patient) -> models.QuerySet:
    """(kind, row id, at, record id) of every historical row and access event, newest first,
    as one UNION query: a Paginator counts and slices it in the database."""
    return _audit_stream(patient.pk)


def _audit_stream(patient_pk: int) -> models.QuerySet:
    parts = [
        kind.history_rows(patient_pk)
        .annotate(
            trail_kind=Value(number, output_field=models.IntegerField()),
            trail_row=F("history_id"),
            trail_at=F("history_date"),
            trail_record=F("id"),
        )
        .values_list("trail_kind", "trail_row", "trail_at", "trail_record")
        for number, kind in enumerate(tracked_records())
    ]
    reads = (
        AccessEvent.objects.filter(patient_id=patient_pk)
        .annotate(
            trail_kind=Value(READS, output_field=models.IntegerField()),
            trail_row=F("pk"),
            trail_at=F("at"),
            trail_record=Value(None, output_field=models.IntegerField()),
        )
        .values_list("trail_kind", "trail_row", "trail_at", "trail_record")
    )
    return (
        reads.order_by()
        .union(*(part.order_by() for part in parts), all=True)
        .order_by("-trail_at", "-trail_kind", "-trail_row")
    )


@cache
def _previous_row_sql(using: str) -> str:
    """For a row of the stream (``trail``), the id of the historical row just before it of the
    same record, which its diff is taken against (NULL for a read or a record's first row).

    The same rows ``patient_audit_entries`` read with a subquery per kind and then fetched on
    their own: here they come with the page, in the SQL compiled once per process.
    """
    quote = connections[using].ops.quote_name
    cases = []
    for number, kind in enumerate(tracked_records()):
        meta = kind.historical_model._meta
        table = quote(meta.db_table)
        row, at = quote(meta.pk.column), quote(meta.get_field("history_date").column)
        record = quote(meta.get_field("id").column)
        # Names from the models' meta, the number from enumerate: no user text.
        cases.append(
            f"WHEN {number} THEN (SELECT {row} FROM {table} earlier"  # noqa: S608
            f" WHERE earlier.{record} = trail.trail_record"
            f" AND (earlier.{at} < trail.trail_at"
            f" OR (earlier.{at} = trail.trail_at AND earlier.{row} < trail.trail_row))"
            f" ORDER BY earlier.{at} DESC, earlier.{row} DESC LIMIT 1)"
        )
    return f"CASE trail.trail_kind {' '.join(cases)} END"


NEWEST_FIRST = "trail_at DESC, trail_kind DESC, trail_row DESC"  # the stream's own order


class CompiledStream:
    """``patient_audit_stream`` as SQL, for a Paginator's count and its page.

    A page's rows are (kind, row id, at, the row before it of the same record), the last
    ``None`` for a read or a record's first row (``patient_audit_entries``).
    """

    def __init__(self, sql: str, params: Sequence, using: str) -> None:
        self.sql, self.params, self.using = sql, tuple(params), using
        self.previous = _previous_row_sql(using)

    @classmethod
    def of(cls, stream: models.QuerySet) -> CompiledStream:
        return cls(*stream.query.sql_with_params(), stream.db)

    def count(self) -> int:
        with connections[self.using].cursor() as cursor:
            # The ORM's own SQL, its values passed as parameters: nothing here is user text.
            cursor.execute(f"SELECT COUNT(*) FROM ({self.sql}) trail", self.params)  # noqa: S608
            return cursor.fetchone()[0]

    def __getitem__(self, window: slice) -> list[tuple]:
        return self.window_and_total(window.start or 0, window.stop)[0]

    def window_and_total(self, start: int, stop: int) -> tuple[list[tuple], int | None]:
        """The rows ``start:stop`` and the number of rows in all, in one query; no total when
        the window is past the end (no row to carry it)."""
        with connections[self.using].cursor() as cursor:
            cursor.execute(
                # The ORM's SQL and table names: nothing here is user text. The count is taken
                # over every row, before the limit; the row before, for the page's rows only.
                f"SELECT trail_kind, trail_row, trail_at, {self.previous}, total FROM ("  # noqa: S608
                "SELECT trail_kind, trail_row, trail_at, trail_record, COUNT(*) OVER () AS total"
                f" FROM ({self.sql}) trail ORDER BY {NEWEST_FIRST} LIMIT %s OFFSET %s"
                f") trail ORDER BY {NEWEST_FIRST}",
                [*self.params, stop - start, start],
            )
            found = cursor.fetchall()
        return [row[:4] for row in found], found[0][4] if found else None


class StreamPaginator(Paginator):
    """A Paginator of a ``CompiledStream`` that reads the page asked for and the total in one
    query, where Paginator counts and then slices: two queries, each planned anew (a UNION of
    twelve tables: some 1.5 ms of planning each at 10,000 patients). A page number that is not
    one, or past the end, goes Paginator's own way (page 1, or the last page). No orphans.
    """

    def get_page(self, number) -> Page:
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            wanted = 1
        if wanted >= 1:
            bottom = (wanted - 1) * self.per_page
            rows, total = self.object_list.window_and_total(bottom, bottom + self.per_page)
            if rows:
                self.__dict__["count"] = total  # Paginator.count is a cached_property
                return self._get_page(rows, wanted, self)
        return super().get_page(number)


# The patient id the stream is compiled for once per process (``clinic.compiled``'s stand-in
# id): no patient has it, and no other parameter of the stream (its kind numbers) equals it.
ANY_PATIENT = ANY_ID


@cache
def _stream_of_any_patient(using: str) -> CompiledStream:
    return CompiledStream.of(_audit_stream(ANY_PATIENT).using(using))


def compiled_audit_stream(*, patient: Patient) -> CompiledStream:
    """``patient_audit_stream`` of this patient, from SQL compiled once per process.

    Building and compiling the UNION of every tracked record's history cost more than running
    it (a fifth of the page); its shape is the same for every patient, so only the patient's
    id is put into the parameters. No patient data is kept: the SQL and the kind numbers.
    """
    shape = _stream_of_any_patient(router.db_for_read(AccessEvent))
    params = put_in(shape.params, {ANY_PATIENT: patient.pk})
    return CompiledStream(shape.sql, params, shape.using)


def _who(user, *, nobody: str) -> str:
    if user is None:
        return nobody
    return user.get_full_name() or user.get_username()


def _is_distance(field: models.Field) -> bool:
    """A running distance, stored in km (``clinic.units``): ``weekly_km``, ``*_distance_km``."""
    return field.name.endswith("_km")


def _label(field: models.Field, unit: str) -> str:
    """The field's name as the history shows it; a distance's "(km)" in the clinic's unit."""
    label = str(field.verbose_name)
    if _is_distance(field):
        return label.replace("(km)", f"({units.unit_label(unit)})")
    return label


# Texts the plan page says in the clinic's unit ("3 km" in a running session or a note).
TEXTS_IN_UNIT = {"rehab.prescription": frozenset({"session", "reps", "note"})}


def _shown(field: models.Field, value, findings=None, unit: str = units.KM) -> str:
    if value is None or value == "":
        return "—"
    if findings and field.name in findings:  # an assessment's answer, in the clinic's words
        return units.in_unit(findings[field.name].words(value), unit)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if _is_distance(field) and unit != units.KM:
        return units.number(units.from_km(value, unit))
    if field.name in TEXTS_IN_UNIT.get(field.model._meta.label_lower, ()):
        return units.in_unit(str(value), unit)
    return str(value)


def _changes(model, record, previous, unit: str = units.KM) -> tuple[Change, ...]:
    fields = {f.name: f for f in model._meta.fields}
    findings = load_vocabulary().fields_by_name if model._meta.app_label == "assessments" else None
    if record.history_type == "~" and previous is not None:
        delta = record.diff_against(previous, excluded_fields=NOT_SHOWN)
        pairs = [(c.field, c.old, c.new) for c in delta.changes]
    elif record.history_type == "+":
        tracked = [
            f
            for f in record.tracked_fields
            if f.editable and not f.primary_key and f.name not in NOT_SHOWN
        ]
        pairs = [
            (f.name, None, getattr(record, f.attname))
            for f in tracked
            if getattr(record, f.attname) not in (None, "", [])
        ]
    else:
        pairs = []
    return tuple(
        Change(
            field=_label(fields[name], unit) if name in fields else name,
            old=_shown(fields[name], old, findings, unit) if name in fields else str(old),
            new=_shown(fields[name], new, findings, unit) if name in fields else str(new),
        )
        for name, old, new in pairs
    )


def patient_audit_entries(*, patient: Patient, rows) -> list[TrailEntry]:
    """The page's rows of a ``CompiledStream`` as entries with who and the diff.

    One query per kind of record on the page (its rows and the rows just before them, which
    the page's rows name, with their users) and one for the reads: bounded by the number of
    kinds, never by the length of the history.
    """
    rows = list(rows)
    unit = patient.clinic.distance_unit  # distances said as the clinic's other pages say them
    found: dict[tuple[int, int], TrailEntry] = {}
    read_ids = [row for kind, row, *_ in rows if kind == READS]
    if read_ids:
        for event in AccessEvent.objects.filter(pk__in=read_ids).select_related("user"):
            found[READS, event.pk] = TrailEntry(
                at=event.at,
                kind="read",
                action=event.get_what_display(),
                record=event.object_repr,
                who=_who(event.user, nobody="the patient (plan link)"),
                ip=event.ip,
                reason=event.reason,
            )
    for number, kind in enumerate(tracked_records()):
        model = kind.model
        before = {row: previous for kind, row, _, previous in rows if kind == number}
        if not before:
            continue
        # Unordered (the rows are placed by the stream's order): the history's default ordering
        # cost compiling and sorting for nothing.
        wanted = {*before, *(previous for previous in before.values() if previous)}
        fetched = kind.historical_model.objects.filter(pk__in=wanted)
        by_id = {r.pk: r for r in fetched.select_related("history_user").order_by()}
        label = str(model._meta.verbose_name).capitalize()
        for row, previous in before.items():
            record = by_id.get(row)
            if record is None:  # gone since the page was read
                continue
            found[number, row] = TrailEntry(
                at=record.history_date,
                kind="change",
                action=ACTIONS.get(record.history_type, record.history_type),
                record=f"{label} #{record.id}",
                who=_who(record.history_user, nobody="no login (the patient's link or a command)"),
                changes=_changes(
                    model, record, by_id.get(previous) if record.history_type == "~" else None, unit
                ),
                reason=record.history_change_reason or "",
            )
    return [found[kind, row] for kind, row, *_ in rows if (kind, row) in found]
