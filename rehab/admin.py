from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from clinic.admin import ClinicScopedAdmin
from rehab.models import (
    IssuedDocument,
    OutcomeMeasurement,
    PatientLink,
    PatientLinkAccess,
    Plan,
    Prescription,
    ProgressionDecision,
    SessionLog,
)


class PrescriptionInline(admin.TabularInline):
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


@admin.register(SessionLog)
class SessionLogAdmin(ClinicScopedAdmin, SimpleHistoryAdmin):
    clinic_lookup = "plan__patient__clinic"
    list_display = ["plan", "session_date", "exercise_pain", "running_pain", "reported_by"]
    list_filter = ["reported_by", "next_morning", "pain_travelled_down_leg"]
    search_fields = ["plan__patient__last_name", "plan__patient__record_number"]
    date_hierarchy = "session_date"
    raw_id_fields = ["plan"]


@admin.register(ProgressionDecision)
class ProgressionDecisionAdmin(ClinicScopedAdmin):
    clinic_lookup = "prescription__plan__patient__clinic"
    list_display = ["prescription", "proposed_action", "from_step", "to_step", "outcome"]
    list_filter = ["outcome", "proposed_action"]
    search_fields = ["prescription__plan__patient__last_name"]

    def has_change_permission(self, request, obj=None):
        return False  # decisions are the record of what was decided


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ClinicScopedAdmin):
    clinic_lookup = "plan__patient__clinic"
    list_display = ["plan", "version", "issued_at", "issued_by", "page_size", "large_print"]
    list_filter = ["page_size", "large_print"]
    search_fields = ["plan__patient__last_name", "sha256"]
    exclude = ["pdf"]
    readonly_fields = [
        "plan", "version", "sha256", "page_size", "large_print", "issued_by", "issued_at",
    ]  # fmt: skip

    def has_change_permission(self, request, obj=None):
        return False  # an issued PDF is exactly what the patient received

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PatientLink)
class PatientLinkAdmin(ClinicScopedAdmin, SimpleHistoryAdmin):
    clinic_lookup = "plan__patient__clinic"
    list_display = ["plan", "created_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["plan__patient__last_name", "plan__patient__record_number"]
    exclude = ["token"]
    readonly_fields = ["plan", "created_at", "revoked_at", "revoked_by"]


@admin.register(PatientLinkAccess)
class PatientLinkAccessAdmin(ClinicScopedAdmin):
    clinic_lookup = "link__plan__patient__clinic"
    list_display = ["link", "what", "accessed_at"]
    list_filter = ["what", "accessed_at"]

    def has_add_permission(self, request):
        return False  # written only by the patient's own use of the link

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutcomeMeasurement)
class OutcomeMeasurementAdmin(ClinicScopedAdmin, SimpleHistoryAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "measure", "measured_on", "total", "recorded_by"]
    list_filter = ["measure"]
    search_fields = ["patient__last_name", "patient__record_number"]
    raw_id_fields = ["patient", "plan"]
    readonly_fields = ["total", "responses", "measures_version"]
