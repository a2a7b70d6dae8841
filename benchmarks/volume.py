"""Data volume for the benchmarks (PostgreSQL): copy the demo clinic's patients, with every record
they own and its change history, until the clinic holds the number of patients asked for.

Each table is copied by one ``INSERT ... SELECT`` over ``generate_series`` in the database
(10,000 patients in a few seconds; nothing crosses to Python but the originals' ids), so the
copies skip ``auto_now``: they keep the originals' own times. The list of what a patient owns is
the app's patient-record registry (``clinic.patient_records``), so a new kind of record is
copied without anyone remembering to add it here.

A real clinic's history, not one day repeated: copy ``k`` happened ``k * DAYS_APART`` days
before the demo (every date and time shifted back, the plan's PDF still issued after its last
change, a runner's logs still after their plan), so new patients arrive every few days over the
years; a copied plan started more than ``PLAN_WEEKS`` ago has ended then, as the PT's
``plan_end`` would have ended it. What is left active, in the alerts, inbox and due lists is
what a clinic of that size has in its last weeks. Record numbers get the copy's suffix; the
patient-link tokens are new (they are unique); issued PDFs keep their bytes.

Ids: copy ``k`` of a row is ``base + (k - 1) * span + (id - low)``, where ``[low, low + span)``
holds the originals' ids and ``base`` is past the table's last id, so every foreign key (a
plan's patient, an amendment's original) is mapped by the same sum without a lookup; the
table's id sequence is moved past the copies at the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

DAYS_APART = 2  # the copies' starts: 12 demo patients every two days
PLAN_WEEKS = 12  # a copied plan older than this has ended


@dataclass(frozen=True)
class _Ids:
    """Where the copies of one model's rows go."""

    ids: list[int]  # the originals
    low: int
    span: int
    base: int

    def mapped(self, column: str) -> str:
        """SQL for the copy ``k``'s id of the original id in ``column`` (NULL stays NULL)."""
        return f"({self.base - self.low} + (k - 1) * {self.span} + {column})"


def _table(model: type[models.Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _reserve(model: type[models.Model], ids: list[int], copies: int) -> _Ids:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {_table(model)}")  # noqa: S608
        (last,) = cursor.fetchone()
    low = min(ids)
    return _Ids(ids=ids, low=low, span=max(ids) - low + 1, base=last + 1)


def _shifted(field: models.Field, column: str) -> str | None:
    """SQL for a date or time moved back by copy ``k``'s offset (None: not a date)."""
    if isinstance(field, models.DateTimeField):
        return f"({column} - k * interval '{DAYS_APART} days')"
    if isinstance(field, models.DateField):
        return f"({column} - k * {DAYS_APART})"
    return None


def _select_list(
    model: type[models.Model],
    source: type[models.Model],
    targets: dict[type[models.Model], _Ids],
    *,
    history: bool = False,
) -> tuple[list[str], list[str]]:
    """The columns to insert and the SQL of each copied value, from the row ``t`` of ``model``
    (``source`` itself, or its historical table)."""
    own = targets[source]
    columns, values = [], []
    label = source._meta.label
    for field in model._meta.concrete_fields:
        if history and field.name == "history_id":
            continue  # the historical table's own key: new rows, new ids
        column = f"t.{connection.ops.quote_name(field.column)}"
        target = field.related_model if field.is_relation else None
        if field.primary_key or (history and field.name == "id"):
            value = own.mapped(column)
        elif target in targets:
            ids = targets[target]
            low, high = ids.low, ids.low + ids.span - 1
            # A history row may point to a row deleted since: it keeps its old value.
            value = f"CASE WHEN {column} BETWEEN {low} AND {high} THEN {ids.mapped(column)} END"
            value = f"COALESCE({value}, {column})" if history else ids.mapped(column)
        elif field.name == "record_number" and label == "clinic.Patient":
            value = f"{column} || '-' || lpad(k::text, 4, '0')"
        elif field.name == "token" and label == "rehab.PatientLink":
            value = "md5(random()::text || t.id || '/' || k) || md5(random()::text || k)"
        else:
            value = _shifted(field, column) or column
        columns.append(connection.ops.quote_name(field.column))
        values.append(value)
    return columns, values


def _insert(
    model: type[models.Model],
    source: type[models.Model],
    targets: dict[type[models.Model], _Ids],
    ids: list[int],
    copies: int,
) -> None:
    """Insert ``copies`` copies of the rows of ``model`` whose key is in ``ids``."""
    history = model is not source
    columns, values = _select_list(model, source, targets, history=history)
    key = "history_id" if history else "id"
    sql = (
        f"INSERT INTO {_table(model)} ({', '.join(columns)}) "  # noqa: S608 (names, not input)
        f"SELECT {', '.join(values)} FROM {_table(model)} t "
        f"CROSS JOIN generate_series(1, %s) AS k WHERE t.{key} = ANY(%s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [copies, ids])


def _end_old_plans(ids: _Ids, copies: int) -> None:
    """A copied plan started more than ``PLAN_WEEKS`` ago ended then (``plan_end``)."""
    from rehab.models import Plan

    cutoff = timezone.localdate() - dt.timedelta(weeks=PLAN_WEEKS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_table(Plan)} SET status = %s, "  # noqa: S608
            f"ends_on = starts_on + {PLAN_WEEKS * 7} "
            "WHERE id BETWEEN %s AND %s AND status <> %s AND starts_on < %s",
            [
                Plan.Status.ENDED,
                ids.base,
                ids.base + copies * ids.span - 1,
                Plan.Status.ENDED,
                cutoff,
            ],
        )


def _move_sequence(model: type[models.Model]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM "  # noqa: S608
            f"{_table(model)}))",
            [model._meta.db_table],
        )


@transaction.atomic
def clone_clinic_patients(*, clinic: Any, patients: int) -> int:
    """Copy ``clinic``'s patients and their records until it has ``patients``; the copies made."""
    from clinic.models import Patient
    from clinic.patient_records import patient_records
    from rehab.models import Plan

    if connection.vendor != "postgresql":
        raise RuntimeError("the volume copy is written for PostgreSQL")
    originals = list(Patient._base_manager.filter(clinic=clinic).values_list("pk", flat=True))
    copies = max(0, (patients - len(originals) + len(originals) - 1) // len(originals))
    if not copies:
        return 0
    records = []
    for record in patient_records():
        lookup = f"{record.patient_lookup}__clinic" if record.patient_lookup else "clinic"
        ids = list(
            record.model._base_manager.filter(**{lookup: clinic}).values_list("pk", flat=True)
        )
        if ids:
            records.append((record, ids))
    # Every range is reserved before any insert, so a key to a later table maps too.
    targets = {record.model: _reserve(record.model, ids, copies) for record, ids in records}
    for record, ids in records:
        model = record.model
        _insert(model, model, targets, ids, copies)
        _move_sequence(model)
        if record.has_history:
            historical = model.history.model  # type: ignore[attr-defined]
            rows = list(historical.objects.filter(id__in=ids).values_list("pk", flat=True))
            if rows:
                _insert(historical, model, targets, rows, copies)
    if Plan in targets:
        _end_old_plans(targets[Plan], copies)
    return copies
