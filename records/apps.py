from django.apps import AppConfig


class RecordsConfig(AppConfig):
    """What spans the apps: dashboard, a patient's timeline, history, export, erasure, backup.

    It has no models of its own; it reads the patient records every app declares
    (``clinic.patient_records``).
    """

    name = "records"
