"""Turn knowledge-file problems into system-check errors.

Each app registers a check that loads its knowledge files afresh (``assessments/checks.py``,
``rehab/checks.py``), so ``manage.py check`` and ``runserver`` refuse to start on a broken file
and name every problem, rather than the first request failing.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core import checks

from clinic.knowledge import KnowledgeError

TAG = "knowledge"


def knowledge_errors(*loads: Callable[[], object]) -> list[checks.CheckMessage]:
    """One ``knowledge.E001`` error per problem of each load that fails."""
    errors: list[checks.CheckMessage] = []
    for load in loads:
        try:
            load()
        except KnowledgeError as error:
            errors.extend(
                checks.Error(
                    problem,
                    hint="Fix the knowledge file: the message names its file and key.",
                    id="knowledge.E001",
                )
                for problem in error.problems
            )
    return errors
