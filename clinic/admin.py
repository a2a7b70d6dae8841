"""Admin for clinic staff: a clinic admin who is staff sees only their own clinic's rows."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from simple_history.admin import SimpleHistoryAdmin

from clinic.models import Clinic, Membership, Patient


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
