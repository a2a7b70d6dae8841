from django.contrib.admin import apps as admin_apps


class ClinicAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the project's site (adds the clinical knowledge page)."""

    default_site = "config.admin.ClinicAdminSite"

    def ready(self):
        super().ready()  # registers every app's admin
        from django.contrib import admin
        from django.contrib.auth import get_user_model
        from django_tasks_db.models import DBTaskResult

        from clinic.admin_accounts import AccountAdmin

        # Accounts keep the team page's rules (the last clinic admin, not yourself) here too.
        admin.site.unregister(get_user_model())
        admin.site.register(get_user_model(), AccountAdmin)

        # The task queue's rows (ids, and a traceback when a task fails) are for whoever runs
        # the worker, not a page of the admin: the PT sees an issue's state on the plan page.
        if admin.site.is_registered(DBTaskResult):
            admin.site.unregister(DBTaskResult)
