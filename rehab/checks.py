"""System checks: the rehab knowledge files and the outcome measures load without problems;
in production, the patient link's public address is configured."""

from django.conf import settings
from django.core import checks

from clinic import knowledge as shared
from clinic.checks import TAG, knowledge_errors
from rehab import engine, outcomes


@checks.register(TAG)
def rehab_knowledge_check(app_configs, **kwargs):
    """Read the files afresh (not the cached copies), from the paths as configured now."""
    return knowledge_errors(
        lambda: engine.load_knowledge(
            engine.KNOWLEDGE_DIR,
            engine.ILLUSTRATIONS_DIR,
            shared.REFERENCES_PATH,
            shared.RED_FLAGS_PATH,
        ),
        lambda: outcomes.load_measures(outcomes.MEASURES_FILE, shared.REFERENCES_PATH),
    )


@checks.register(checks.Tags.security, deploy=True)
def patient_link_base_url_check(app_configs, **kwargs):
    """In production the runner's link should not depend on the host a PT happens to use."""
    if settings.DEBUG or settings.PATIENT_LINK_BASE_URL.strip():
        return []
    return [
        checks.Warning(
            "DJANGO_PATIENT_LINK_BASE_URL is not set: patient links, QR codes and emails use "
            "the host each plan was issued on.",
            hint="Set it to the public address runners open, e.g. https://clinic.example.org.",
            id="rehab.W001",
        )
    ]
