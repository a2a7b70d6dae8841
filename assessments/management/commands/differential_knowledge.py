"""``manage.py differential_knowledge`` -- print every prior, weight and rule with its source.

So a clinician can review exactly what the differential believes without reading code.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from assessments.differential import knowledge_report


class Command(BaseCommand):
    help = "Print the differential's knowledge: priors, likelihood ratios and rules, with sources."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(knowledge_report().as_text())
