"""Print what the plan engine would do for a diagnosis over a list of session logs, as JSON.

python manage.py plan_walkthrough proximal_hamstring_tendinopathy --sessions sessions.json

For clinicians auditing the protocols without a database of patients: no database is read or
written. The sessions file is a JSON list; each entry takes the fields of the runner's log form
(``session_date`` YYYY-MM-DD, ``exercise_pain`` 0-10, optional ``running_pain``,
``running_pain_pattern``, ``next_morning``, ``pain_travelled_down_leg``, ``completed``,
``load_used``, ``weekly_distance_km``, ``notes``), or is ``{"session_date": ...,
"advance_phase": true}`` where the physio moved the plan to its next phase, or
``{"session_date": ..., "cleared_to_run": true}`` where the physio recorded the clearance to
run that the hip and bone plans wait for (false undoes it). ``--unit mi`` prints the texts'
distances in miles, as a miles clinic reads them (``--weekly-km`` and the JSON numbers stay km).
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinic import units
from rehab import engine


class Command(BaseCommand):
    help = (
        "Build the plan for DIAGNOSIS with the pure plan engine, feed it the session logs of "
        "--sessions (JSON list, the runner's log fields with session_date; an entry "
        '{"session_date": ..., "advance_phase": true} moves the plan to its next phase), and '
        "print each proposal and phase change as JSON. The physio is assumed to accept every "
        "proposed move."
    )

    def add_arguments(self, parser):
        parser.add_argument("diagnosis", help="A cause code, e.g. proximal_hamstring_tendinopathy.")
        parser.add_argument(
            "--sessions", help="JSON file: a list of session logs (default: none, the start)."
        )
        parser.add_argument(
            "--weekly-km",
            type=float,
            help=f"The runner's current weekly running, 0 to {engine.MAX_WEEKLY_KM} km (0: not "
            "running now). Sets where the running ladder starts and its first weeks' volume; "
            "left out, running starts at the protocol's phase-1 step.",
        )
        parser.add_argument(
            "--unit",
            choices=[units.KM, units.MILES],
            default=units.KM,
            help="The unit of the distances in the printed texts, as the clinic's setting "
            "(default km). The numbers (--weekly-km, weekly_km) stay in km.",
        )

    def handle(self, *args, diagnosis, sessions, weekly_km, unit, **_):
        if diagnosis not in engine.knowledge().protocols:
            known = ", ".join(engine.knowledge().protocols)
            raise CommandError(f"Unknown diagnosis {diagnosis!r}; known: {known}.")
        if weekly_km is not None and not 0 <= weekly_km <= engine.MAX_WEEKLY_KM:
            raise CommandError(f"--weekly-km: must be from 0 to {engine.MAX_WEEKLY_KM}.")
        raw = self._read(sessions) if sessions else []
        try:
            events = engine.walk_through(
                diagnosis=diagnosis, entries=engine.parse_entries(raw), weekly_km=weekly_km
            )
        except engine.WalkthroughInputError as error:
            raise CommandError(f"{sessions}: {error}") from error
        result = {
            "diagnosis": diagnosis,
            "knowledge_version": engine.knowledge_version(),
            "weekly_km": weekly_km,
            "unit": unit,
            "running_start": _running_start(diagnosis, weekly_km, unit),
            "events": [_in_unit(event.as_json(), unit) for event in events],
        }
        self.stdout.write(json.dumps(result, indent=2, ensure_ascii=False))

    @staticmethod
    def _read(sessions: str):
        try:
            text = Path(sessions).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{sessions}: cannot read the file ({error}).") from error
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                f"{sessions}: not valid JSON (line {error.lineno}, column {error.colno}: "
                f"{error.msg})."
            ) from error


def _running_start(diagnosis: str, weekly_km: float | None, unit: str) -> dict | None:
    """Where the running ladder starts for ``weekly_km``, and what the runner is told."""
    draft = engine.build_plan(diagnosis=diagnosis, weekly_km=weekly_km)
    if isinstance(draft, engine.ReferFirst):
        return None
    note = units.in_unit(draft.running.start_note, unit)
    return {"step": draft.running.step.code, "note": note or None}


def _in_unit(event: dict, unit: str) -> dict:
    return {**event, "reason": units.in_unit(event["reason"], unit)}
