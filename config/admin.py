"""The project's admin site: Django's, plus a read-only page of the clinical knowledge.

Clinic admins review what the software prescribes and why without reading TOML: every exercise
step with its dose and hip-flexion demand, every protocol with what it avoids and why, the
pain-monitoring limits, each with its source. The knowledge itself stays in the reviewable files
(`rehab/knowledge/`, `assessments/differential/knowledge.toml`); this page only shows it.
"""

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path

from rehab import engine


class ClinicAdminSite(admin.AdminSite):
    site_header = "Hamstring clinic administration"
    site_title = "Hamstring clinic admin"
    index_template = "admin/clinic_index.html"

    def register(self, model_or_iterable, admin_class=None, **options):
        """An admin with no clinic scope (Django's users, django-otp's devices, …) is for
        superusers only: a clinic admin holding every permission still cannot open it."""
        # Imported here: clinic.admin registers through this site, which must exist first.
        from clinic.admin import ClinicScopedAdmin, SuperuserOnlyAdmin

        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ClinicScopedAdmin | SuperuserOnlyAdmin):
            admin_class = type(
                admin_class.__name__,
                (SuperuserOnlyAdmin, admin_class),
                {"__module__": admin_class.__module__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def get_urls(self):
        knowledge = path(
            "clinical-knowledge/",
            self.admin_view(self.clinical_knowledge),
            name="clinical_knowledge",
        )
        # Replaces Django's "view on site" shortcut (matched first, same name and route).
        view_on_site = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(self.scoped_shortcut),
            name="view_on_site",
        )
        return [knowledge, view_on_site, *super().get_urls()]

    def scoped_shortcut(self, request, content_type_id, object_id):
        """Django's ``/admin/r/<ct>/<id>/`` redirect, for rows the user may view in this admin.

        Django's own answers differently for a missing row, a row of another clinic and a model
        without pages, so it told whether an id exists; here every refusal is the same 404.
        """
        try:
            model = ContentType.objects.get_for_id(int(content_type_id)).model_class()
        except (ContentType.DoesNotExist, ValueError):
            model = None
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_permission(request):
            raise Http404
        try:
            visible = model_admin.get_queryset(request).filter(pk=object_id).exists()
        except (ValueError, TypeError):
            visible = False
        if not visible or not hasattr(model, "get_absolute_url"):
            raise Http404
        return shortcut(request, content_type_id, object_id)

    def clinical_knowledge(self, request):
        kb = engine.knowledge()
        cited = sorted(
            {key for ladder in kb.ladders.values() for step in ladder.steps for key in step.source}
            | {key for protocol in kb.protocols.values() for key in protocol.source}
            | {
                key
                for protocol in kb.protocols.values()
                for a in protocol.avoid
                for key in a.source
            }
        )
        context = {
            **self.each_context(request),
            "title": "Clinical knowledge: exercises and protocols",
            "version": kb.version,
            "ladders": kb.ladders.values(),
            "protocols": kb.protocols.values(),
            "tissues": kb.tissues.values(),
            "sources": [(key, engine.source(key)) for key in cited if engine.source(key)],
        }
        return TemplateResponse(request, "admin/clinical_knowledge.html", context)
