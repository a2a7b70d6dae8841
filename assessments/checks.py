"""System check: the differential's knowledge file loads without problems."""

from django.core import checks

from assessments.differential import knowledge
from clinic import knowledge as shared
from clinic.checks import TAG, knowledge_errors


@checks.register(TAG)
def differential_knowledge_check(app_configs, **kwargs):
    """Read the file afresh (not the cached copy), from the paths as configured now."""
    return knowledge_errors(
        lambda: knowledge.read_knowledge(
            knowledge.KNOWLEDGE_PATH, shared.REFERENCES_PATH, shared.RED_FLAGS_PATH
        )
    )
