from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from assessments.models import Assessment, RedFlagClearance
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


@admin.register(RedFlagClearance)
class RedFlagClearanceAdmin(ClinicScopedAdmin, SimpleHistoryAdmin):
    """View only: a clearance is made in the app, whose service checks the flag was raised,
    the evidence and the emergency confirmation. Deleting one puts the flag back (recorded)."""

    clinic_lookup = "assessment__patient__clinic"
    list_display = ["assessment", "code", "evidence", "cleared_by", "cleared_at"]
    list_filter = ["evidence", "code", "cleared_at"]
    search_fields = ["assessment__patient__last_name", "assessment__patient__record_number"]
    list_select_related = ["assessment__patient", "cleared_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
