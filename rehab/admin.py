from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import AppRecordAdmin, ClinicScopedAdmin, ClinicScopedInline
from rehab.models import (
    IssuedDocument,
    IssueRequest,
    OutcomeMeasurement,
    PatientLink,
    PatientLinkAccess,
    Plan,
    PlanTemplate,
    Prescription,
    ProgressionDecision,
    QuestionnaireRequest,
    SessionLog,
)


class PrescriptionInline(ClinicScopedInline):
    model = Prescription
    extra = 0
    fields = ["ladder", "step_code", "sets", "reps", "hold_seconds", "sessions_per_week", "note"]


@admin.register(Plan)
class PlanAdmin(ClinicScopedAdmin, SimpleHistoryAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "diagnosis", "status", "current_phase", "starts_on", "created_by"]
    list_filter = ["status", "diagnosis", "patient__clinic"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__record_number"]
    list_select_related = ["patient", "created_by"]
    raw_id_fields = ["assessment"]
    readonly_fields = ["knowledge_version"]
    inlines = [PrescriptionInline]


@admin.register(Prescription)
class PrescriptionAdmin(ClinicScopedAdmin, SimpleHistoryAdmin):
    clinic_lookup = "plan__patient__clinic"
    list_display = ["plan", "ladder", "step_code", "step_since"]
    list_filter = ["ladder"]
    search_fields = ["plan__patient__last_name", "step_code"]
    raw_id_fields = ["plan"]


class SessionLogAdminForm(forms.ModelForm):
    """A log added in the admin is the clinician's: patient-reported logs come from the link."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance._state.adding:
            self.instance.reported_by = SessionLog.ReportedBy.CLINICIAN


@admin.register(SessionLog)
class SessionLogAdmin(ClinicScopedAdmin, SimpleHistoryAdmin):
    form = SessionLogAdminForm
    clinic_lookup = "plan__patient__clinic"
    list_display = ["plan", "session_date", "exercise_pain", "running_pain", "reported_by"]
    list_filter = ["reported_by", "next_morning", "pain_travelled_down_leg"]
    search_fields = ["plan__patient__last_name", "plan__patient__record_number"]
    date_hierarchy = "session_date"
    raw_id_fields = ["plan"]
    readonly_fields = ["reported_by"]


@admin.register(ProgressionDecision)
class ProgressionDecisionAdmin(AppRecordAdmin):
    """Decisions are the record of what the engine proposed and the PT decided."""

    clinic_lookup = "prescription__plan__patient__clinic"
    list_display = ["prescription", "proposed_action", "from_step", "to_step", "outcome"]
    list_filter = ["outcome", "proposed_action"]
    search_fields = ["prescription__plan__patient__last_name"]


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(AppRecordAdmin):
    """An issued PDF is exactly what the patient received; only ``plan_issue`` writes one."""

    clinic_lookup = "plan__patient__clinic"
    list_display = ["plan", "version", "issued_at", "issued_by", "page_size", "large_print"]
    list_filter = ["page_size", "large_print"]
    search_fields = ["plan__patient__last_name", "sha256"]
    readonly_fields = [
        "plan", "version", "sha256", "page_size", "large_print", "issued_by", "issued_at",
    ]  # fmt: skip


@admin.register(IssueRequest)
class IssueRequestAdmin(AppRecordAdmin):
    """Made by the plan page's issue button and finished by the task worker; only shown here."""

    clinic_lookup = "plan__patient__clinic"
    list_display = ["plan", "requested_by", "requested_at", "status", "attempts", "finished_at"]
    list_filter = ["status", "requested_at"]
    search_fields = ["plan__patient__last_name", "plan__patient__record_number"]
    readonly_fields = [
        "plan", "large_print", "requested_by", "requested_at", "status", "attempts",
        "finished_at", "reason", "document",
    ]  # fmt: skip


@admin.register(PatientLink)
class PatientLinkAdmin(AppRecordAdmin, SimpleHistoryAdmin):
    """Made with the plan and revoked from the plan page; the admin only shows it."""

    clinic_lookup = "plan__patient__clinic"
    list_display = ["plan", "created_at", "revoked_at"]
    ordering = ["-created_at", "-pk"]  # a stable page order (Django warns of an unordered one)
    list_filter = ["revoked_at"]
    search_fields = ["plan__patient__last_name", "plan__patient__record_number"]
    exclude = ["token"]
    readonly_fields = ["plan", "created_at", "revoked_at", "revoked_by"]


@admin.register(PatientLinkAccess)
class PatientLinkAccessAdmin(AppRecordAdmin):
    """Written only by the patient's own use of the link."""

    clinic_lookup = "link__plan__patient__clinic"
    list_display = ["link", "what", "accessed_at"]
    list_filter = ["what", "accessed_at"]


@admin.register(OutcomeMeasurement)
class OutcomeMeasurementAdmin(ClinicScopedAdmin, SimpleHistoryAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "measure", "measured_on", "total", "recorded_by"]
    list_filter = ["measure"]
    search_fields = ["patient__last_name", "patient__record_number"]
    raw_id_fields = ["patient", "plan"]
    readonly_fields = ["total", "responses", "measures_version"]

    def has_add_permission(self, request):
        return False  # scored by rehab.outcomes from the answers: record it in the app


@admin.register(QuestionnaireRequest)
class QuestionnaireRequestAdmin(AppRecordAdmin, SimpleHistoryAdmin):
    """Asked from the plan page and answered on the runner's link; the admin only shows it."""

    clinic_lookup = "plan__patient__clinic"
    list_display = ["plan", "measure", "requested_by", "requested_at", "answered_at"]
    list_filter = ["measure", "requested_at"]
    search_fields = ["plan__patient__last_name", "plan__patient__record_number"]
    readonly_fields = [
        "plan", "measure", "requested_by", "requested_at", "answered_at", "measurement",
    ]  # fmt: skip


@admin.register(PlanTemplate)
class PlanTemplateAdmin(ClinicScopedAdmin, SimpleHistoryAdmin):
    """A clinic's saved phases: renamed or deleted here, made from a plan's page."""

    list_display = ["name", "diagnosis", "phase", "clinic", "created_by", "created_at"]
    list_filter = ["diagnosis", "clinic"]
    search_fields = ["name"]
    readonly_fields = ["created_at"]
