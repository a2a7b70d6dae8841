from django.apps import AppConfig

from clinic.patient_records import PatientRecord


class RehabConfig(AppConfig):
    name = "rehab"
    patient_records = (
        PatientRecord("Plan", via="patient"),
        PatientRecord("Prescription", via="plan", erase=("note", "outside_reason")),
        PatientRecord("SessionLog", via="plan", erase=("notes",)),
        PatientRecord("ProgressionDecision", via="prescription", erase=("override_reason",)),
        PatientRecord("IssuedDocument", via="plan", document="pdf_key", copies=("link_pdf_key",)),
        PatientRecord("PatientLink", via="plan"),
        PatientRecord("PatientLinkAccess", via="link"),
        PatientRecord("OutcomeMeasurement", via="patient"),
        PatientRecord("QuestionnaireRequest", via="plan"),
        PatientRecord("IssueRequest", via="plan"),
    )

    def ready(self):
        from rehab import checks  # noqa: F401  (registers the knowledge check)
