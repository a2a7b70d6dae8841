"""Data volume for the benchmarks: copy the demo clinic's patients, with every record they own
and its change history, until the clinic holds the number of patients asked for.

The copies go in with ``bulk_create`` through each model's base manager (one INSERT per few
thousand rows), so 10,000 patients take seconds to a minute rather than the hours the services
would need; nothing here runs in the app. The list of what a patient owns is the app's own
patient-record registry (``clinic.patient_records``), so a new kind of record is copied
without anyone remembering to add it here.

Each copy keeps its originals' dates, names (a record number with the copy's suffix) and
findings, so the dashboard's alert, inbox and due lists grow with the clinic as they would in a
real one. Patient-link tokens are new (they are unique); issued PDFs keep their bytes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models, transaction

BATCH = 2000


def _relation_targets(model: type[models.Model]) -> dict[str, type[models.Model]]:
    """Each foreign-key attribute of ``model`` and the model it points to."""
    return {
        field.attname: field.related_model
        for field in model._meta.concrete_fields
        if field.is_relation and field.related_model is not None
    }


def _copied_values(
    row: dict[str, Any],
    targets: dict[str, type[models.Model]],
    new_pk: dict[type[models.Model], dict[int, list[int]]],
    copy: int,
) -> dict[str, Any] | None:
    """``row`` with its keys pointing at the ``copy``-th copies of what it points to.

    ``None`` when it points to a record that was not copied (e.g. deleted since).
    """
    values = dict(row)
    for attname, target in targets.items():
        old = values.get(attname)
        if old is None or target not in new_pk:
            continue
        copies = new_pk[target].get(old)
        if copies is None:
            return None
        values[attname] = copies[copy]
    return values


@transaction.atomic
def clone_clinic_patients(*, clinic: Any, patients: int) -> int:
    """Copy ``clinic``'s patients and their records until it has ``patients``; the copies made."""
    from clinic.models import Patient
    from clinic.patient_records import patient_records
    from rehab.models import new_patient_token

    originals = list(Patient._base_manager.filter(clinic=clinic).order_by("pk").values())
    copies = max(0, (patients - len(originals) + len(originals) - 1) // len(originals))
    if not copies:
        return 0
    new_pk: dict[type[models.Model], dict[int, list[int]]] = {}
    for record in patient_records():
        model = record.model
        lookup = f"{record.patient_lookup}__clinic" if record.patient_lookup else "clinic"
        rows = list(model._base_manager.filter(**{lookup: clinic}).order_by("pk").values())
        targets = _relation_targets(model)
        self_keys = [name for name, target in targets.items() if target is model]
        made: list[models.Model] = []
        sources: list[int] = []
        for copy in range(copies):
            for row in rows:
                values = _copied_values(row, targets, new_pk, copy)
                if values is None:
                    continue
                old_pk = values.pop("id")
                for name in self_keys:  # set after all rows exist (an amendment's original)
                    values[name] = None
                if model is Patient:
                    values["record_number"] = f"{values['record_number']}-{copy + 1:04d}"
                if "token" in values and model.__name__ == "PatientLink":
                    values["token"] = new_patient_token()
                made.append(model(**values))
                sources.append(old_pk)
        model._base_manager.bulk_create(made, batch_size=BATCH)
        mapping: dict[int, list[int]] = defaultdict(list)
        for old_pk, obj in zip(sources, made, strict=True):
            mapping[old_pk].append(obj.pk)
        new_pk[model] = dict(mapping)
        _link_self_keys(model, rows, self_keys, new_pk[model])
        if record.has_history:
            _clone_history(model, rows, new_pk, copies)
    return copies


def _link_self_keys(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    self_keys: list[str],
    mapping: dict[int, list[int]],
) -> None:
    for name in self_keys:
        linked = [row for row in rows if row[name] is not None and row[name] in mapping]
        updates = []
        for row in linked:
            for copy, pk in enumerate(mapping[row["id"]]):
                updates.append(model(pk=pk, **{name: mapping[row[name]][copy]}))
        model._base_manager.bulk_update(updates, [name], batch_size=BATCH)


def _clone_history(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    new_pk: dict[type[models.Model], dict[int, list[int]]],
    copies: int,
) -> None:
    """Copy the change history of the copied rows, pointing at the copies."""
    historical = model.history.model  # type: ignore[attr-defined]
    ids = [row["id"] for row in rows]
    history = list(historical.objects.filter(id__in=ids).order_by("history_id").values())
    targets = {
        name: target
        for name, target in _relation_targets(historical).items()
        if name != "history_user_id"
    }
    made = []
    for copy in range(copies):
        for row in history:
            values = _copied_values(row, targets, new_pk, copy)
            if values is None or values["id"] not in new_pk[model]:
                continue
            values.pop("history_id")
            values["id"] = new_pk[model][values["id"]][copy]
            if model._meta.label == "clinic.Patient":
                values["record_number"] = f"{values['record_number']}-{copy + 1:04d}"
            made.append(historical(**values))
    historical.objects.bulk_create(made, batch_size=BATCH)
