from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from assessments.forms import AssessmentForm
from assessments.models import Assessment, RedFlagClearance
from assessments.vocabulary import load_vocabulary
from clinic.admin import ClinicScopedAdmin

FINDINGS = {f.name: f for f in load_vocabulary().fields}
# The set findings (a JSON list of codes in the database), shown to people by their labels.
SET_FINDINGS = {name: f for name, f in FINDINGS.items() if f.type == "set"}


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

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # The findings as the app asks them: labels, and "Not asked" rather than "Unknown".
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        finding = FINDINGS.get(db_field.name)
        return field if finding is None else AssessmentForm.field_for(finding, field)

    def get_fields(self, request, obj=None):
        # A signed assessment is shown read-only, where Django would print a set finding as
        # its stored JSON: show its labels instead.
        fields = super().get_fields(request, obj)
        if obj is not None and obj.is_signed:
            return [f"{name}_in_words" if name in SET_FINDINGS else name for name in fields]
        return fields

    def has_change_permission(self, request, obj=None):
        # A signed assessment is part of the record: view only, amend in the app.
        if obj is not None and obj.is_signed:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_signed:
            return False
        return super().has_delete_permission(request, obj)


def _set_finding_in_words(finding):
    @admin.display(description=finding.question)
    def in_words(self, obj):
        return finding.words(getattr(obj, finding.name))

    return in_words


for _name, _finding in SET_FINDINGS.items():
    setattr(AssessmentAdmin, f"{_name}_in_words", _set_finding_in_words(_finding))


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
