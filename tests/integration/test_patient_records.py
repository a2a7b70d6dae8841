"""The registry of patient records is complete: every model that holds a patient's data, and
every model with a change history, is declared once by its app."""

from django.apps import apps
from simple_history.models import registered_models

from clinic.models import Patient
from clinic.patient_records import patient_records, record_for, tracked_records
from records.timeline import ENTRIES, NOT_ON_TIMELINE

PROJECT_APPS = ("clinic", "assessments", "rehab", "records")
# History-tracked models that hold no patient's data: who works where, the clinic's settings
# and its plan templates.
CLINIC_LEVEL_TRACKED = {"clinic.clinic", "clinic.membership", "rehab.plantemplate"}


def _reaches_patient(model, seen=()) -> bool:
    """Whether a chain of foreign keys leads from ``model`` to ``Patient``."""
    if model is Patient:
        return True
    return any(
        (field.many_to_one or field.one_to_one)
        and field.concrete
        and field.related_model not in seen
        and _reaches_patient(field.related_model, (*seen, model))
        for field in model._meta.get_fields()
    )


def test_every_model_with_change_history_is_a_declared_patient_record():
    tracked = {
        model._meta.label_lower
        for model in registered_models.values()
        if model._meta.app_label in PROJECT_APPS
    }
    declared = {record.label for record in tracked_records()}
    assert tracked - CLINIC_LEVEL_TRACKED == declared


def test_tracked_models_left_out_of_the_registry_hold_no_patient_data():
    for label in CLINIC_LEVEL_TRACKED:
        assert not _reaches_patient(apps.get_model(label))


def test_every_model_that_reaches_a_patient_is_declared():
    models = [
        model
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        and not model._meta.label_lower.split(".")[1].startswith("historical")
    ]
    reaching = {m._meta.label_lower for m in models if _reaches_patient(m)}
    declared = {record.label for record in patient_records()}
    assert reaching == declared


def test_each_model_is_declared_once():
    labels = [record.label for record in patient_records()]
    assert len(labels) == len(set(labels))


def test_each_record_leads_to_the_patient_through_its_declared_key():
    for record in patient_records():
        if record.via is None:
            assert record.model is Patient
            continue
        assert record_for(record.model._meta.get_field(record.via).related_model) is not None
        assert record.patient_lookup.endswith("patient")


def test_erasable_fields_are_free_text_of_the_model():
    for record in patient_records():
        names = {field.name for field in record.model._meta.get_fields()}
        assert set(record.erase) <= names, record.label
        if record.document:
            assert {record.document, "erased_at"} <= names, record.label


def test_the_timeline_draws_or_names_every_record():
    declared = {record.label for record in patient_records()}
    assert set(ENTRIES) | set(NOT_ON_TIMELINE) == declared
    assert not set(ENTRIES) & set(NOT_ON_TIMELINE)
