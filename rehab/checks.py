"""System check: the rehab knowledge files and the outcome measures load without problems."""

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
