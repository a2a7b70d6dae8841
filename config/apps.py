from django.contrib.admin import apps as admin_apps


class ClinicAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the project's site (adds the clinical knowledge page)."""

    default_site = "config.admin.ClinicAdminSite"
