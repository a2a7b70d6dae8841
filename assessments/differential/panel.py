"""What the assessment page's differential panel shows of a ranking, and in which words.

Why apart from the contract output: the contract fixes the ranking's shape (every cause with
a probability, and a run advice in every case, ``modify`` when nothing about running is
known), and a stored ranking keeps that shape. The panel must not say more than the findings
do: until the onset and the pain location are recorded it says "not enough information yet"
instead of ranking the priors, and it gives run advice only once something about running is
known or a red flag has been raised. Each probability shown gets a plain band.
The thresholds and required fields are knowledge data (``[panel]`` in ``knowledge.toml``).
Each finding's weight is said in words (``weight_in_words``), its source one tap away.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessments.differential.knowledge import Knowledge, load_knowledge


@dataclass(frozen=True)
class ShownCause:
    """One cause of the contract output, with the band its probability falls in."""

    cause: Mapping[str, Any]
    band: str


@dataclass(frozen=True)
class PanelView:
    """The panel's reading of one contract ranking for the findings it was made from."""

    missing: tuple[str, ...]  # required fields not yet recorded, in knowledge order
    show_run_advice: bool
    causes: tuple[ShownCause, ...]

    @property
    def enough_information(self) -> bool:
        return not self.missing


def panel_view(
    findings: Mapping[str, Any],
    ranking: Mapping[str, Any],
    knowledge: Knowledge | None = None,
) -> PanelView:
    """Read a contract ranking (``ranking_to_contract``) for the panel.

    ``findings`` are the recorded findings (absent or None = not asked). Run advice shows when
    a field the run-advice rules read is recorded, or a red flag is raised (its advice is to
    stop and seek care whatever is known about running).
    """
    kb = knowledge or load_knowledge()
    recorded = {name for name, value in findings.items() if value is not None}
    missing = tuple(name for name in kb.panel.needs_recorded if name not in recorded)
    running_known = any(name in recorded for name in kb.running_fields)
    return PanelView(
        missing=missing,
        show_run_advice=running_known or bool(ranking.get("red_flags")),
        causes=tuple(
            ShownCause(cause, kb.panel.band(cause["probability"])) for cause in ranking["causes"]
        ),
    )


_FRACTIONS = {
    2: "half",
    3: "a third",
    4: "a quarter",
    5: "a fifth",
    6: "a sixth",
    7: "a seventh",
    8: "an eighth",
    9: "a ninth",
    10: "a tenth",
}


def weight_in_words(log_lr: float) -> str:
    """A finding's weight (the natural log of its likelihood ratio) as a PT would say it.

    A likelihood ratio of 4 makes a cause's odds four times higher; near 1 it changes little,
    so it is not given a number that would sound precise.
    """
    ratio = math.exp(log_lr)
    if ratio == 0:
        return "rules this cause out"
    factor = ratio if ratio >= 1 else 1 / ratio
    if factor < 1.25:
        return "hardly changes how likely this cause is"
    if factor < 1.75:
        return f"makes this cause a little {'more' if ratio > 1 else 'less'} likely"
    times = round(factor)
    if ratio > 1:
        return (
            "makes this cause about twice as likely"
            if times == 2
            else (f"makes this cause about {times} times as likely")
        )
    share = _FRACTIONS.get(times, f"1/{times}")
    return f"makes this cause about {share} as likely"


def source_in_words(source: str) -> str:
    """A weight's source for the PT: an estimate says so instead of the file's 'EST:' tag."""
    if source.startswith("EST:"):
        return "Estimated here (no published figure): " + source.removeprefix("EST:").strip()
    return "Source: " + source
