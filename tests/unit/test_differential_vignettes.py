"""The whole dev vignette set against the accuracy bar.

Bar: expected primary first in >= 80 % and in the top three in >= 95 % of cases; every
expected red flag raised (100 % recall) with at most one false flag per ten cases; run
advice right in >= 85 %. Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import assessments
from assessments.differential import rank

DEV = Path(assessments.__file__).with_name("vignettes") / "dev.json"


@dataclass
class Figures:
    cases: int = 0
    top1: int = 0
    top3: int = 0
    flags_expected: int = 0
    flags_found: int = 0
    false_flags: int = 0
    advice_right: int = 0
    misses: list[str] = field(default_factory=list)

    def report(self) -> str:
        n = self.cases
        lines = [
            f"dev vignettes: {n}",
            f"  top-1 {self.top1}/{n} = {self.top1 / n:.0%}",
            f"  top-3 {self.top3}/{n} = {self.top3 / n:.0%}",
            f"  red-flag recall {self.flags_found}/{self.flags_expected}",
            f"  false red flags {self.false_flags} ({self.false_flags / n * 10:.1f} per ten cases)",
            f"  run advice {self.advice_right}/{n} = {self.advice_right / n:.0%}",
        ]
        return "\n".join(lines + [f"  {miss}" for miss in self.misses])


def _vignettes() -> list[dict[str, Any]]:
    return json.loads(DEV.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def figures() -> Figures:
    result = Figures()
    for case in _vignettes():
        expected = case["expected"]
        ranking = rank(case["findings"])
        codes = [c.code for c in ranking.causes]
        raised = {f.code for f in ranking.red_flags}
        wanted = set(expected["red_flags"])
        result.cases += 1
        result.top1 += codes[0] == expected["primary"]
        result.top3 += expected["primary"] in codes[:3]
        result.flags_expected += len(wanted)
        result.flags_found += len(wanted & raised)
        result.false_flags += len(raised - wanted)
        result.advice_right += ranking.run_advice.advice == expected["run_advice"]
        if codes[0] != expected["primary"]:
            place = codes.index(expected["primary"]) + 1
            result.misses.append(
                f"{case['id']}: expected {expected['primary']} ranked {place}, first {codes[0]}"
            )
    print("\n" + result.report())
    return result


def test_expected_primary_is_ranked_first_in_at_least_80_percent(figures: Figures) -> None:
    assert figures.top1 / figures.cases >= 0.80, figures.report()


def test_expected_primary_is_in_the_top_three_in_at_least_95_percent(figures: Figures) -> None:
    assert figures.top3 / figures.cases >= 0.95, figures.report()


def test_every_expected_red_flag_is_raised(figures: Figures) -> None:
    assert figures.flags_found == figures.flags_expected, figures.report()


def test_at_most_one_false_red_flag_per_ten_cases(figures: Figures) -> None:
    assert figures.false_flags <= figures.cases / 10, figures.report()


def test_run_advice_matches_in_at_least_85_percent(figures: Figures) -> None:
    assert figures.advice_right / figures.cases >= 0.85, figures.report()


@pytest.mark.parametrize("case", _vignettes(), ids=lambda case: case["id"])
def test_each_vignettes_expected_red_flags_are_raised(case: dict[str, Any]) -> None:
    raised = {f.code for f in rank(case["findings"]).red_flags}
    assert set(case["expected"]["red_flags"]) <= raised
