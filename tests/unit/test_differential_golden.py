"""Golden outputs: the differential's contract output must not change when the engine does.

Why: the engine is optimised for speed, and "faster" must never mean "different". The file
``data/differential_golden.json`` holds the findings and the exact contract output (as
``ranking_to_contract`` rounds it) for every dev vignette plus seeded random valid findings,
recorded from the reference (pre-optimisation) engine. The findings are stored, not
regenerated, so the cases do not depend on the ``random`` module's algorithms.

A deliberate change of knowledge or reasoning changes these outputs: review the diff, then
regenerate with ``.venv/bin/python -m tests.unit.test_differential_golden``.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

import assessments
from assessments.differential import rank, ranking_to_contract
from assessments.vocabulary import FindingField, load_vocabulary

GOLDEN = Path(__file__).with_name("data") / "differential_golden.json"
DEV = Path(assessments.__file__).with_name("vignettes") / "dev.json"
RANDOM_CASES = 200
SEED = 20251106


def _random_value(field: FindingField, rng: random.Random) -> Any:
    if field.type == "boolean":
        # Red flags are rare in practice; mostly-negative answers keep the other rules in play.
        return rng.random() < (0.1 if field.section == "red_flags" else 0.5)
    if field.type == "integer":
        return rng.randint(int(field.min or 0), int(field.max or 100))
    if field.type == "number":
        low, high = float(field.min or 0), float(field.max or 100)
        return round(rng.uniform(low, high), 1) if rng.random() < 0.5 else rng.randint(0, 60)
    if field.type in ("enum", "result"):
        return rng.choice(field.allowed_values)
    if field.type == "set":
        return rng.sample(field.values, rng.randint(0, len(field.values)))
    raise AssertionError(field.type)


def random_findings(rng: random.Random) -> dict[str, Any]:
    """Valid findings of varied density (sparse cases leave many tests to suggest)."""
    density = rng.choice((0.05, 0.1, 0.2, 0.35, 0.6))
    findings: dict[str, Any] = {}
    for field in load_vocabulary().fields:
        if rng.random() < density:
            findings[field.name] = None if rng.random() < 0.05 else _random_value(field, rng)
    return findings


def golden_cases() -> list[dict[str, Any]]:
    """Dev vignettes then seeded random findings, each with its current contract output."""
    vignettes = json.loads(DEV.read_text(encoding="utf-8"))
    cases = [{"id": v["id"], "findings": v["findings"]} for v in vignettes]
    rng = random.Random(SEED)
    cases += [{"id": f"R{i:03d}", "findings": random_findings(rng)} for i in range(RANDOM_CASES)]
    for case in cases:
        case["output"] = ranking_to_contract(rank(case["findings"]))
    return cases


def _load() -> list[dict[str, Any]]:
    """The recorded cases; none when the file is missing (the coverage test then fails)."""
    return json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else []


@pytest.mark.parametrize("case", _load(), ids=lambda case: case["id"])
def test_contract_output_matches_the_recorded_reference(case: dict[str, Any]) -> None:
    output = json.loads(json.dumps(ranking_to_contract(rank(case["findings"]))))
    assert output == case["output"]


def test_golden_file_covers_every_dev_vignette_and_the_random_cases() -> None:
    ids = [case["id"] for case in _load()]
    vignette_ids = [v["id"] for v in json.loads(DEV.read_text(encoding="utf-8"))]
    assert ids[: len(vignette_ids)] == vignette_ids
    assert len(ids) == len(vignette_ids) + RANDOM_CASES


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    text = (
        "[\n"
        + ",\n".join(json.dumps(case, separators=(",", ":")) for case in golden_cases())
        + "\n]\n"
    )
    GOLDEN.write_text(text, encoding="utf-8")
    print(f"wrote {GOLDEN}")
