from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ClinicConfig(AppConfig):
    name = "clinic"
    default = True


class ClinicAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the project's site (adds the clinical knowledge page)."""

    default = False
    default_site = "clinic.admin_site.ClinicAdminSite"
