"""Admin for clinic staff: a clinic admin sees and writes only their own clinics' rows.

The perimeter is built into the shared bases, not listed per model: every relation field of
every admin form (select, raw id, autocomplete, many-to-many, inlines) offers and accepts only
rows of the admin's clinics, a raw-id label names nothing outside them, relation list filters
list only their clinics' rows, and the row's own place (the first step of ``clinic_lookup``)
never changes after it is created. ``tests/functional/test_admin_access_matrix.py`` walks the
admin registry and fails on any model or relation field this does not cover.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.utils import get_fields_from_path, quote, unquote
from django.contrib.admin.widgets import ForeignKeyRawIdWidget
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import router, transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from clinic.models import AccessEvent, Clinic, Membership, Patient
from clinic.services import clinic_admins_kept


def admin_clinic_ids(user) -> list[int] | None:
    """Clinics whose rows this admin user may see; None means all (superuser)."""
    if user.is_superuser:
        return None
    return list(
        Membership.objects.filter(user=user, role=Membership.Role.CLINIC_ADMIN).values_list(
            "clinic_id", flat=True
        )
    )


def clinic_rows(admin_site, model, clinic_ids):
    """The rows of ``model`` inside ``clinic_ids``; none for a model with no declared scope.

    People are the members of those clinics; any other model is scoped by its own
    ``ClinicScopedAdmin.clinic_lookup``, so a model without one offers nothing (fails closed).
    """
    user_model = get_user_model()
    if model is user_model:
        members = Membership.objects.filter(clinic__in=clinic_ids).values("user")
        return user_model._default_manager.filter(pk__in=members)
    model_admin = admin_site._registry.get(model)
    if isinstance(model_admin, ClinicScopedAdmin):
        return model._default_manager.filter(**{f"{model_admin.clinic_lookup}__in": clinic_ids})
    return model._default_manager.none()


class ScopedRawIdWidget(ForeignKeyRawIdWidget):
    """Django's raw-id box, whose label (read from ``?field=<id>`` too) names in-scope rows only."""

    def __init__(self, rel, admin_site, queryset, **kwargs):
        super().__init__(rel, admin_site, **kwargs)
        self.queryset = queryset

    def label_and_url_for_value(self, value):
        key = self.rel.get_related_field().name
        try:
            in_scope = self.queryset.filter(**{key: value}).exists()
        except (ValueError, TypeError):
            in_scope = False
        return super().label_and_url_for_value(value) if in_scope else ("", "")


class ScopedRelationsMixin(BaseModelAdmin):
    """Every relation field's choices, on display and on save, within the admin's clinics.

    ``get_field_queryset`` is the one hook Django's admin asks for the choices of foreign keys
    and many-to-many fields (selects, raw ids, autocomplete widgets); the form field validates a
    posted id against the same queryset, so another clinic's id is a field error.
    """

    def get_field_queryset(self, db, db_field, request):
        clinic_ids = admin_clinic_ids(request.user)
        if clinic_ids is None:
            return super().get_field_queryset(db, db_field, request)
        rows = clinic_rows(self.admin_site, db_field.related_model, clinic_ids).using(db)
        related_admin = self.admin_site._registry.get(db_field.related_model)
        ordering = related_admin.get_ordering(request) if related_admin else ()
        return rows.order_by(*ordering) if ordering else rows

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        clinic_ids = admin_clinic_ids(request.user)
        if clinic_ids is not None:
            db = kwargs.get("using")
            kwargs.setdefault("queryset", self.get_field_queryset(db, db_field, request))
            if db_field.name in self.raw_id_fields and "widget" not in kwargs:
                kwargs["widget"] = ScopedRawIdWidget(
                    db_field.remote_field, self.admin_site, kwargs["queryset"], using=db
                )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        clinic_ids = admin_clinic_ids(request.user)
        if clinic_ids is not None:
            kwargs.setdefault(
                "queryset", self.get_field_queryset(kwargs.get("using"), db_field, request)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ClinicScopedInline(ScopedRelationsMixin, admin.StackedInline):
    """An inline whose relation fields are scoped like its parent admin's.

    Stacked, not tabular: Django's tabular inline leaves its fields without a label (only a
    column heading) and is wider than a phone (docs/accessibility.md)."""


class ClinicScopedAdmin(ScopedRelationsMixin, admin.ModelAdmin):
    """Limit rows, relation choices and list filters to the admin user's clinics."""

    clinic_lookup = "clinic"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        clinic_ids = admin_clinic_ids(request.user)
        if clinic_ids is None:
            return queryset
        return queryset.filter(**{f"{self.clinic_lookup}__in": clinic_ids})

    def get_readonly_fields(self, request, obj=None):
        """A saved row never moves: the field that places it in its clinic is fixed."""
        readonly = list(super().get_readonly_fields(request, obj))
        anchor = self.clinic_lookup.split("__")[0]
        try:
            is_relation = self.model._meta.get_field(anchor).is_relation
        except FieldDoesNotExist:
            is_relation = False  # "pk": the clinic itself
        if obj is not None and is_relation and anchor not in readonly:
            readonly.append(anchor)
        return readonly

    def get_list_filter(self, request):
        """Relation filters list only the related rows of the admin's own rows."""
        filters = super().get_list_filter(request)
        if admin_clinic_ids(request.user) is None:
            return filters
        return [
            (item, admin.RelatedOnlyFieldListFilter)
            if isinstance(item, str) and get_fields_from_path(self.model, item)[-1].is_relation
            else item
            for item in filters
        ]

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


class AppRecordAdmin(ClinicScopedAdmin):
    """Rows only the app writes (issued PDFs, links, decisions, audit): view within the clinic.

    No add, change or delete for anyone, superusers included: the app's services are the only
    writers, so what the record says is what the app did.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """For admins with no clinic scope (users, groups, devices, lockouts): superusers only.

    ``ClinicAdminSite.register`` puts this in front of every admin class that is not a
    ``ClinicScopedAdmin``, so a clinic admin given every permission still cannot open them.
    """

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request, *args, **kwargs):
        return request.user.is_superuser and super().has_add_permission(request, *args, **kwargs)

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and super().has_delete_permission(request, obj)


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedAdmin):
    clinic_lookup = "pk"
    list_display = ["name", "phone", "email", "pdf_page_size", "distance_unit"]
    search_fields = ["name", "email"]
    list_filter = ["pdf_page_size"]


# --- The team's last clinic admin: the team page's rule (clinic.services), here too ---------


def delete_keeping_clinic_admins(modeladmin, request, queryset):
    """Django's "delete selected" action, refused when it would leave a clinic without an
    active clinic admin."""
    with transaction.atomic(using=queryset.db):
        try:
            clinic_admins_kept(leaving=modeladmin.memberships_of(queryset))
        except ValidationError as error:
            modeladmin.message_user(request, " ".join(error.messages), messages.ERROR)
            return None  # back to the list
        return delete_selected(modeladmin, request, queryset)


class KeepsClinicAdminsMixin(admin.ModelAdmin):
    """Deleting rows (one, or with the list's action) never leaves a clinic without an active
    clinic admin: refused with the reason, back on the row's page or the list."""

    membership_path = "pk"  # from a Membership to this admin's row

    def memberships_of(self, rows):
        """The memberships the rows take with them when deleted."""
        pks = [row.pk for row in rows]
        return Membership.objects.filter(**{f"{self.membership_path}__in": pks})

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions[name] = (delete_keeping_clinic_admins, name, description)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        with transaction.atomic(using=router.db_for_write(self.model)):
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_delete_permission(request, obj):
                try:
                    clinic_admins_kept(leaving=self.memberships_of([obj]))
                except ValidationError as error:
                    self.message_user(request, " ".join(error.messages), messages.ERROR)
                    opts = self.opts
                    return redirect(
                        reverse(
                            f"admin:{opts.app_label}_{opts.model_name}_change",
                            args=[quote(obj.pk)],
                            current_app=self.admin_site.name,
                        )
                    )
            return super().delete_view(request, object_id, extra_context)


class MembershipForm(forms.ModelForm):
    """A role or account that takes the row out of its clinic's active clinic admins is
    refused on that field when no other active clinic admin is left (``clinic_admins_kept``)."""

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        saved = Membership.objects.select_related("user").get(pk=self.instance.pk)
        role = cleaned.get("role") or saved.role
        user = cleaned.get("user") or saved.user
        if role != Membership.Role.CLINIC_ADMIN or not user.is_active:
            clinic_admins_kept(leaving=[saved], field="role" if role != saved.role else "user")
        return cleaned


@admin.register(Membership)
class MembershipAdmin(KeepsClinicAdminsMixin, ClinicScopedAdmin):
    form = MembershipForm
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
class AccessEventAdmin(AppRecordAdmin):
    """The audit of reads: read-only for everyone, superusers included."""

    clinic_lookup = "patient__clinic"
    list_display = ["at", "what", "view", "user", "patient_id", "object_repr", "ip"]
    list_filter = ["what", "at"]
    search_fields = ["user__username", "object_repr", "patient__record_number"]
    list_select_related = ["user"]
