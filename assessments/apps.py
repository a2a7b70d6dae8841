from django.apps import AppConfig

from clinic.patient_records import PatientRecord


class AssessmentsConfig(AppConfig):
    name = "assessments"
    patient_records = (
        PatientRecord(
            "Assessment",
            via="patient",
            erase=(
                "working_diagnosis_reason",
                "red_flag_screen_reason",
                "note_subjective",
                "note_plan",
            ),
        ),
        PatientRecord("RedFlagClearance", via="assessment", erase=("note",)),
    )

    def ready(self):
        from assessments import checks  # noqa: F401  (registers the knowledge check)
