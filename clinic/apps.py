from django.apps import AppConfig

from clinic.patient_records import PatientRecord


class ClinicConfig(AppConfig):
    name = "clinic"
    patient_records = (
        PatientRecord("Patient", via=None),
        PatientRecord("AccessEvent", via="patient"),
    )
