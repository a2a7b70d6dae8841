"""Score one questionnaire, and say whether a change between two scores matters.

Plain Python, no Django. ``score()`` refuses incomplete or out-of-range answers with a
``ScoringError`` whose ``errors`` map each item code to what is wrong, so a form can put each
message on its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from .definitions import Direction, Item, Measure, measure

Answer = int | str
Trend = Literal["better", "worse", "unchanged"]


class ScoringError(ValueError):
    """Answers missing, unknown or out of range; ``errors`` maps item code -> message."""

    def __init__(self, measure_code: str, errors: Mapping[str, str]):
        self.measure = measure_code
        self.errors = dict(errors)
        detail = "; ".join(f"{code}: {message}" for code, message in self.errors.items())
        super().__init__(f"{measure_code}: {detail}")


@dataclass(frozen=True)
class Score:
    measure: str
    total: int
    minimum: int
    maximum: int
    direction: Direction
    interpretation: str
    mcid: int | None
    responses: Mapping[str, Answer]  # the applicable answers, normalised (points as int)
    item_points: Mapping[str, int]

    @property
    def display(self) -> str:
        return f"{self.total}/{self.maximum}"


@dataclass(frozen=True)
class Change:
    """From ``previous`` to ``current`` on one measure."""

    measure: str
    previous: int
    current: int
    delta: int  # current - previous, in the measure's points
    trend: Trend  # better / worse / unchanged, taking the measure's direction into account
    mcid: int | None
    important: bool | None  # |delta| >= MCID; None when no MCID is published
    explanation: str

    @property
    def signed(self) -> str:
        return f"{self.delta:+d}"


def applies(item: Item, responses: Mapping[str, object]) -> bool:
    return item.when is None or responses.get(item.when.item) == item.when.equals


def applicable_responses(measure_code: str, responses: Mapping[str, object]) -> dict:
    """Drop the answers to branch items the chosen branch does not lead to (a form cannot unset
    a radio button, so a runner who changes branch leaves the old answer behind)."""
    definition = measure(measure_code)
    known = {item.code: item for item in definition.items}
    return {
        code: value
        for code, value in responses.items()
        if code not in known or applies(known[code], responses)
    }


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _check_answer(item: Item, value: object) -> tuple[Answer, int] | str:
    """(normalised answer, points) or an error message."""
    if item.kind == "branch":
        if isinstance(value, str) and value in item.allowed_values:
            return value, 0
        return f"must be one of {', '.join(item.allowed_values)}"
    number = _as_int(value)
    if item.kind == "number":
        if number is None or not item.minimum <= number <= item.maximum:  # type: ignore[operator]
            return f"must be a whole number from {item.minimum} to {item.maximum}"
        return number, number
    if number is None or number not in item.allowed_points:
        return f"must be one of {', '.join(str(p) for p in item.allowed_points)} points"
    return number, number


def score(measure_code: str, responses: Mapping[str, object]) -> Score:
    """Total the answers to one measure; ``ScoringError`` names every item that is wrong.

    ``responses`` maps item code to the answer: points for number and choice items (int, or a
    string of digits as a form posts it), the option value for branch items. Items that depend
    on a branch must be answered when the branch leads to them and left out otherwise.
    """
    definition = measure(measure_code)
    known = {item.code: item for item in definition.items}
    errors: dict[str, str] = {}
    for code in responses:
        if code not in known:
            errors[code] = f"is not an item of {definition.short_name}"
    normalised: dict[str, Answer] = {}
    points: dict[str, int] = {}
    for item in definition.items:
        value = responses.get(item.code)
        missing = value is None or value == ""
        if not applies(item, responses):
            if not missing:
                errors[item.code] = f"answer it only when {item.when.item} is {item.when.equals!r}"  # type: ignore[union-attr]
            continue
        if missing:
            errors[item.code] = "is required"
            continue
        checked = _check_answer(item, value)
        if isinstance(checked, str):
            errors[item.code] = checked
            continue
        normalised[item.code], item_points = checked
        if item.kind != "branch":
            points[item.code] = item_points
    if errors:
        raise ScoringError(measure_code, errors)
    total = sum(points.values())
    return Score(
        measure=definition.code,
        total=total,
        minimum=definition.minimum,
        maximum=definition.maximum,
        direction=definition.direction,
        interpretation=_interpret(definition, total),
        mcid=definition.mcid,
        responses=MappingProxyType(normalised),
        item_points=MappingProxyType(points),
    )


def score_total(measure_code: str, total: int) -> Score:
    """A ``Score`` for a stored total (no item detail), e.g. to compare with ``change``."""
    definition = measure(measure_code)
    if not definition.minimum <= total <= definition.maximum:
        raise ScoringError(
            measure_code,
            {"total": f"must be from {definition.minimum} to {definition.maximum}"},
        )
    return Score(
        measure=definition.code,
        total=total,
        minimum=definition.minimum,
        maximum=definition.maximum,
        direction=definition.direction,
        interpretation=_interpret(definition, total),
        mcid=definition.mcid,
        responses=MappingProxyType({}),
        item_points=MappingProxyType({}),
    )


def _interpret(definition: Measure, total: int) -> str:
    better = "higher" if definition.higher_is_better else "lower"
    text = definition.interpretation.format(
        total=total, maximum=definition.maximum, minimum=definition.minimum
    )
    return f"{text} {better.capitalize()} is better."


def change(previous: Score, current: Score) -> Change:
    """How ``current`` differs from ``previous``, and whether it reaches the published MCID.

    A change counts as important when its size is at least the MCID (Binkley 1999 give 9 LEFS
    points as the smallest clinically important change), or, where the measure gives
    ``mcid_percent``, at least that share of the earlier score (pain ratings). With no published
    MCID, ``important`` is None and the explanation says so rather than guessing a threshold.
    """
    if previous.measure != current.measure:
        raise ValueError(f"cannot compare {previous.measure} with {current.measure}")
    definition = measure(current.measure)
    delta = current.total - previous.total
    gain = delta if definition.higher_is_better else -delta
    trend: Trend = "better" if gain > 0 else "worse" if gain < 0 else "unchanged"
    size = abs(delta)
    unit = "point" if size == 1 else "points"
    if definition.mcid is None:
        important = None
        moved = f"{trend.capitalize()} by {size} {unit}." if size else "Unchanged."
        explanation = f"{moved} {definition.mcid_summary}"
    else:
        percent = definition.mcid_percent
        # Farrar 2001: about 2 points or about 30 % of the earlier rating, whichever is reached.
        by_percent = bool(percent and previous.total and size * 100 >= percent * previous.total)
        important = size >= definition.mcid or by_percent
        threshold = f"{definition.mcid} points" + (f" or {percent} %" if percent else "")
        reaches = "reaches" if important else "is below"
        explanation = (
            f"{trend.capitalize()} by {size} {unit}: {reaches} the minimal important change "
            f"of {threshold}."
            if size
            else f"Unchanged (minimal important change {threshold})."
        )
    return Change(
        measure=definition.code,
        previous=previous.total,
        current=current.total,
        delta=delta,
        trend=trend,
        mcid=definition.mcid,
        important=important,
        explanation=explanation,
    )
