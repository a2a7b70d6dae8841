from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from assessments.models import Assessment
from clinic.admin import ClinicScopedAdmin


@admin.register(Assessment)
class AssessmentAdmin(ClinicScopedAdmin, SimpleHistoryAdmin):
    clinic_lookup = "patient__clinic"
    list_display = ["patient", "assessed_on", "side", "status", "clinician", "signed_at"]
    list_filter = ["status", "side", "assessed_on", "patient__clinic"]
    search_fields = ["patient__first_name", "patient__last_name", "patient__record_number"]
    date_hierarchy = "assessed_on"
    list_select_related = ["patient", "clinician"]
    raw_id_fields = ["amends"]
    readonly_fields = ["status", "signed_by", "signed_at", "vocabulary_version"]

    def has_change_permission(self, request, obj=None):
        # A signed assessment is part of the record: view only, amend in the app.
        if obj is not None and obj.is_signed:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_signed:
            return False
        return super().has_delete_permission(request, obj)
