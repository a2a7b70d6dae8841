"""The one list of what belongs to a patient, declared by each app on its AppConfig.

Audit, erasure, export, backup and the timeline loop over this list instead of naming models,
so a new clinical model is declared once, in its own app::

    class RehabConfig(AppConfig):
        patient_records = (
            PatientRecord("Plan", via="patient"),
            PatientRecord("SessionLog", via="plan", erase=("notes",)),
        )

``via`` is the foreign key that leads one step towards the patient (``None`` for the patient
itself); the rest of the path is found through the parent's own declaration. The registry lives
in ``clinic`` (the bottom layer) and reads the other apps only through Django's app registry,
so no app imports upwards to be listed.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.db import models


@dataclass(frozen=True)
class PatientRecord:
    """One kind of row that belongs to a patient.

    ``erase`` names the free-text fields that may name the person, blanked by erasure (also in
    the change history); ``document`` is the field holding the storage key of a file handed to
    the patient, with an ``erased_at`` beside it (backed up as a file; erasure deletes the
    stored object and empties the key); ``copies`` are key fields of other versions of that
    document, erased with it.
    """

    model_name: str
    via: str | None
    erase: tuple[str, ...] = ()
    document: str | None = None
    copies: tuple[str, ...] = ()
    app_label: str = ""

    @property
    def model(self) -> type[models.Model]:
        return apps.get_model(self.app_label, self.model_name)

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def has_history(self) -> bool:
        return hasattr(self.model._meta, "simple_history_manager_attribute")

    @property
    def historical_model(self) -> type[models.Model]:
        """The model's change-history table (django-simple-history). Read from the descriptor
        itself: every read of ``Model.history`` builds a new manager class, about a millisecond
        each, and the history page made some forty of them."""
        return inspect.getattr_static(self.model, "history").model

    @property
    def parent(self) -> PatientRecord | None:
        if self.via is None:
            return None
        return record_for(self.model._meta.get_field(self.via).related_model)

    @property
    def patient_lookup(self) -> str:
        """The ORM path from this model to the patient: ``""`` for the patient itself."""
        parent = self.parent
        if parent is None:
            return ""
        return "__".join(part for part in (self.via, parent.patient_lookup) if part)

    def rows(self, patient_pk: int) -> models.QuerySet:
        """The current rows that belong to the patient."""
        field = f"{self.patient_lookup}__pk" if self.patient_lookup else "pk"
        return self.model._default_manager.filter(**{field: patient_pk})

    def history_filter(self, patient_pk: int) -> models.Q:
        """The filter on this model's historical table for one patient.

        It goes through the parents' historical tables, so deleted plans, prescriptions and
        logs still count as the patient's.
        """
        parent = self.parent
        if parent is None:
            return models.Q(id=patient_pk)
        if parent.parent is None:
            return models.Q(**{f"{self.via}_id": patient_pk})
        parent_ids = parent.historical_model._default_manager.filter(
            parent.history_filter(patient_pk)
        ).values("id")
        return models.Q(**{f"{self.via}_id__in": parent_ids})

    def history_rows(self, patient_pk: int) -> models.QuerySet:
        return self.historical_model._default_manager.filter(self.history_filter(patient_pk))


@cache
def patient_records() -> tuple[PatientRecord, ...]:
    """Every app's declared patient records, in ``INSTALLED_APPS`` order."""
    found = []
    for config in apps.get_app_configs():
        for record in getattr(config, "patient_records", ()):
            found.append(
                PatientRecord(
                    model_name=record.model_name,
                    via=record.via,
                    erase=record.erase,
                    document=record.document,
                    copies=record.copies,
                    app_label=config.label,
                )
            )
    return tuple(found)


def tracked_records() -> tuple[PatientRecord, ...]:
    """The patient records with a change history (django-simple-history)."""
    return tuple(record for record in patient_records() if record.has_history)


def record_for(model: type[models.Model]) -> PatientRecord:
    label = model._meta.label_lower
    for record in patient_records():
        if record.label == label:
            return record
    raise LookupError(f"{model._meta.label} is not declared as a patient record")
