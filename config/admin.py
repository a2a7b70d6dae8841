"""The project's admin site: Django's, plus a read-only page of the clinical knowledge.

Clinic admins review what the software prescribes and why without reading TOML: every exercise
step with its dose and hip-flexion demand, every protocol with what it avoids and why, the
pain-monitoring limits, each with its source. The knowledge itself stays in the reviewable files
(`rehab/knowledge/`, `assessments/differential/knowledge.toml`); this page only shows it.
"""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path

from rehab import engine


class ClinicAdminSite(admin.AdminSite):
    site_header = "Hamstring clinic administration"
    site_title = "Hamstring clinic admin"
    index_template = "admin/clinic_index.html"

    def get_urls(self):
        knowledge = path(
            "clinical-knowledge/",
            self.admin_view(self.clinical_knowledge),
            name="clinical_knowledge",
        )
        return [knowledge, *super().get_urls()]

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
