"""Django's user admin (software administrators only) with the team page's rules: an account
is not deactivated by its own user, nor while it is a clinic's last active clinic admin, and
deleting it is refused on the same grounds.

Registered in place of Django's by ``config.apps.ClinicAdminConfig.ready``: this module imports
``django.contrib.auth.admin``, which registers its own admins through the project's site while
``clinic.admin`` is first imported, so it cannot be imported from there.
"""

from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm

from clinic.admin import KeepsClinicAdminsMixin, SuperuserOnlyAdmin
from clinic.services import account_deactivate_check


class AccountChangeForm(UserChangeForm):
    """Deactivating an account is refused on "active" for yourself and for a clinic's last
    active clinic admin, as on the team page (``account_deactivate_check``)."""

    by = None  # who is editing: set per request by ``AccountAdmin.get_form``

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.instance.is_active and cleaned.get("is_active") is False:
            account_deactivate_check(user=self.instance, by=self.by, field="is_active")
        return cleaned


class AccountAdmin(SuperuserOnlyAdmin, KeepsClinicAdminsMixin, UserAdmin):
    """Django's user admin (software administrators only), keeping every clinic's admin."""

    form = AccountChangeForm
    membership_path = "user"

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.by = request.user  # a new class per request (modelform_factory)
        return form
