"""``manage.py rank_causes FILE`` -- rank cases given in the contract's input form.

A thin shell over :mod:`assessments.differential`: read JSON (a file or ``-`` for stdin, or
a saved assessment with ``--assessment ID``), print the contract's output JSON. Cases in
error are printed as ``{"id": ..., "errors": {field: message}}`` and reported on stderr;
the others are still ranked, and the command then exits with status 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.differential import rank, rank_contract_input, ranking_to_contract
from assessments.vocabulary import FindingsError


class Command(BaseCommand):
    help = (
        "Rank the causes of posterior thigh pain for cases in the differential's JSON input form."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            nargs="?",
            help="JSON file with one case or a list of cases; '-' reads standard input.",
        )
        parser.add_argument(
            "--assessment", type=int, metavar="ID", help="Rank the saved assessment with this id."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["assessment"] is not None:
            if options["file"]:
                raise CommandError("Give either FILE or --assessment, not both.")
            self._rank_assessment(options["assessment"])
            return
        if not options["file"]:
            raise CommandError("Give a JSON FILE (or '-' for standard input) or --assessment ID.")
        data = self._read(options["file"])
        output, outcomes = rank_contract_input(data)
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))
        failed = [o for o in outcomes if not o.ok]
        for outcome in failed:
            label = f"case {outcome.index + 1}" + (
                f" (id {outcome.id})" if outcome.id is not None else ""
            )
            for field, message in (outcome.errors or {}).items():
                self.stderr.write(f"{label}: {field}: {message}")
        if failed:
            raise CommandError(f"{len(failed)} of {len(outcomes)} case(s) could not be ranked.")

    def _read(self, name: str) -> Any:
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror or exc}") from exc
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{name} is not valid JSON: {exc}") from exc

    def _rank_assessment(self, pk: int) -> None:
        from assessments.models import Assessment  # the model layer is only needed here

        try:
            assessment = Assessment.objects.get(pk=pk)
        except Assessment.DoesNotExist as exc:
            raise CommandError(f"Assessment {pk} does not exist.") from exc
        try:
            ranking = rank(assessment.to_findings())
        except FindingsError as exc:
            for field, message in exc.errors.items():
                self.stderr.write(f"assessment {pk}: {field}: {message}")
            raise CommandError(f"Assessment {pk} could not be ranked.") from exc
        output = ranking_to_contract(ranking, case_id=pk)
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))
