"""Admin for clinic staff: a clinic admin who is staff sees only their own clinic's rows."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from clinic.models import AccessEvent, Clinic, Membership, Patient


def admin_clinic_ids(user) -> list[int] | None:
    """Clinics whose rows this admin user may see; None means all (superuser)."""
    if user.is_superuser:
        return None
    return list(
        Membership.objects.filter(user=user, role=Membership.Role.CLINIC_ADMIN).values_list(
            "clinic_id", flat=True
        )
    )


class ClinicScopedAdmin(admin.ModelAdmin):
    """Limit rows and foreign-key choices to the admin user's clinics."""

    clinic_lookup = "clinic"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        clinic_ids = admin_clinic_ids(request.user)
        if clinic_ids is None:
            return queryset
        return queryset.filter(**{f"{self.clinic_lookup}__in": clinic_ids})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        clinic_ids = admin_clinic_ids(request.user)
        if clinic_ids is not None:
            if db_field.related_model is Clinic:
                kwargs["queryset"] = Clinic.objects.filter(pk__in=clinic_ids)
            elif db_field.related_model is Patient:
                kwargs["queryset"] = Patient.objects.filter(clinic__in=clinic_ids)
            elif db_field.related_model is get_user_model():
                kwargs["queryset"] = (
                    get_user_model().objects.filter(memberships__clinic__in=clinic_ids).distinct()
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    # django-simple-history's admin views find the object through its historical table, not
    # get_queryset(), and its "revert" form saves on POST with view permission alone. Here
    # the history is read-only (no revert, for anyone) and scoped like the rows themselves.
    def _in_scope_or_404(self, request, object_id) -> None:
        if request.user.is_superuser:
            return  # superusers may also read the history of a deleted row
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._in_scope_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied("The history is read-only: no revert.")
        self._in_scope_or_404(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedAdmin):
    clinic_lookup = "pk"
    list_display = ["name", "phone", "email", "pdf_page_size"]
    search_fields = ["name", "email"]
    list_filter = ["pdf_page_size"]


@admin.register(Membership)
class MembershipAdmin(ClinicScopedAdmin):
    list_display = ["user", "clinic", "role"]
    list_filter = ["role", "clinic"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "clinic__name"]


@admin.register(Patient)
class PatientAdmin(ClinicScopedAdmin, SimpleHistoryAdmin):
    list_display = ["last_name", "first_name", "record_number", "date_of_birth", "clinic"]
    list_filter = ["clinic", "sex"]
    search_fields = ["first_name", "last_name", "record_number", "email"]
    date_hierarchy = "created_at"


@admin.register(AccessEvent)
class AccessEventAdmin(ClinicScopedAdmin):
    """The audit of reads: read-only for everyone, superusers included."""

    clinic_lookup = "patient__clinic"
    list_display = ["at", "what", "view", "user", "patient_id", "object_repr", "ip"]
    list_filter = ["what", "at"]
    search_fields = ["user__username", "object_repr", "patient__record_number"]
    list_select_related = ["user"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
