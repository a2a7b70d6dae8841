"""The contract's JSON shapes: reading case input and writing ranking output.

Why separate from the engine: the engine speaks dataclasses; this module is the one place
that knows the contract's key names ("for"/"against", "id") and its input forms (a findings
object, ``{"id", "findings", ...}``, or a list of either), so a batch with a bad case still
ranks the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessments.differential.engine import rank
from assessments.differential.result import Contribution, Ranking
from assessments.vocabulary import FindingsError

PROBABILITY_PLACES = 4


@dataclass(frozen=True)
class CaseInput:
    """One case read from contract input: its findings, or the error that stops it."""

    index: int
    id: Any
    findings: Any
    error: dict[str, str] | None = None


@dataclass(frozen=True)
class CaseOutcome:
    """One case's result in a batch: a ranking, or errors keyed by field name."""

    index: int
    id: Any
    ranking: Ranking | None
    errors: dict[str, str] | None

    @property
    def ok(self) -> bool:
        return self.ranking is not None


def _rounded_probabilities(values: list[float]) -> list[float]:
    """Round to PROBABILITY_PLACES so the rounded values still sum to 1 (largest remainder)."""
    unit = 10**PROBABILITY_PLACES
    scaled = [v * unit for v in values]
    floors = [int(s) for s in scaled]
    short = unit - sum(floors)
    by_remainder = sorted(range(len(values)), key=lambda i: scaled[i] - floors[i], reverse=True)
    for i in by_remainder[:short]:
        floors[i] += 1
    return [f / unit for f in floors]


def _json_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _contribution(c: Contribution) -> dict[str, Any]:
    return {"field": c.field, "value": _json_value(c.value), "weight": c.weight, "source": c.source}


def ranking_to_contract(ranking: Ranking, case_id: Any = None) -> dict[str, Any]:
    """The contract's output object for one case (``id`` only when one was given).

    Two additions to the contract example: each next-best test's ``expected_change`` and a
    final ``knowledge_version``, so a stored ranking says which knowledge produced it.
    """
    probabilities = _rounded_probabilities([c.probability for c in ranking.causes])
    out: dict[str, Any] = {} if case_id is None else {"id": case_id}
    out["causes"] = [
        {
            "code": cause.code,
            "name": cause.name,
            "probability": probability,
            "for": [_contribution(c) for c in cause.for_],
            "against": [_contribution(c) for c in cause.against],
        }
        for cause, probability in zip(ranking.causes, probabilities, strict=True)
    ]
    out["red_flags"] = [
        {"code": f.code, "urgency": f.urgency, "because": list(f.because), "action": f.action}
        for f in ranking.red_flags
    ]
    out["run_advice"] = {
        "advice": ranking.run_advice.advice,
        "because": list(ranking.run_advice.because),
    }
    out["see_professional"] = {
        "needed": ranking.see_professional.needed,
        "because": list(ranking.see_professional.because),
    }
    out["next_best_tests"] = [
        {"field": t.field, "separates": list(t.separates), "expected_change": t.expected_change}
        for t in ranking.next_best_tests
    ]
    out["expected_recovery"] = {
        "cause": ranking.expected_recovery.cause,
        "typical": ranking.expected_recovery.typical,
    }
    # Not in the contract example, added so a saved ranking records which knowledge made it.
    out["knowledge_version"] = ranking.knowledge_version
    return out


def _case(index: int, item: Any) -> CaseInput:
    if not isinstance(item, Mapping):
        message = "must be an object of findings, or an object with 'findings'"
        return CaseInput(index, None, None, {"case": message})
    if "findings" in item:
        return CaseInput(index, item.get("id"), item["findings"])
    return CaseInput(index, None, item)


def parse_cases(data: Any) -> tuple[list[CaseInput], bool]:
    """Split contract input into cases; the flag says whether the input was a list."""
    if isinstance(data, list):
        return [_case(i, item) for i, item in enumerate(data)], True
    return [_case(0, data)], False


def rank_case(case: CaseInput) -> CaseOutcome:
    """Rank one case, turning validation failures into field-named errors."""
    if case.error is not None:
        return CaseOutcome(case.index, case.id, None, case.error)
    try:
        return CaseOutcome(case.index, case.id, rank(case.findings), None)
    except FindingsError as exc:
        return CaseOutcome(case.index, case.id, None, dict(exc.errors))


def rank_batch(data: Any) -> list[CaseOutcome]:
    """Rank every case in contract input; a case in error never stops the others."""
    cases, _ = parse_cases(data)
    return [rank_case(case) for case in cases]


def outcome_to_contract(outcome: CaseOutcome) -> dict[str, Any]:
    """Contract output for a ranked case, or ``{"id", "errors": {field: message}}``."""
    if outcome.ranking is not None:
        return ranking_to_contract(outcome.ranking, outcome.id)
    return {"id": outcome.id, "errors": dict(outcome.errors or {})}


def rank_contract_input(data: Any) -> tuple[Any, list[CaseOutcome]]:
    """Contract input in, contract output out (a list when the input was a list)."""
    cases, is_list = parse_cases(data)
    outcomes = [rank_case(case) for case in cases]
    output = [outcome_to_contract(o) for o in outcomes]
    return (output if is_list else output[0]), outcomes
