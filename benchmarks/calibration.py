"""How honest the differential's probabilities are on the dev vignettes, before and after.

Run from the project root (pure Python, no database):

    .venv/bin/python benchmarks/calibration.py

Figures, all from the same run, for the knowledge before issue 10 (read from git at
``BASELINE``, with its calibration switched off: estimated LRs unshrunk, no ceiling) and for the
current knowledge file:

1. Multi-class Brier score over the eight causes (mean over cases of the summed squared
   difference between each shown probability and 1 for the expected primary cause, 0 for the
   others; 0 is perfect, 2 the worst), mean top-1 probability against top-1 accuracy (a
   calibrated ranking has them equal), top-1 and top-3 accuracy, red-flag recall and false flags.
   The same figures over only the cases the panel would rank (onset and location recorded;
   it says "not enough information yet" for the others). A last row shows the current
   knowledge with both calibration settings off, to separate the effect of the weight changes
   from that of the calibration.
2. Leave-one-out cross-validation of the two calibration settings (``estimated_log_shrink``
   and ``probability_ceiling``): for each vignette, the grid point with the lowest Brier on the
   other 31 is chosen and scored on the one left out. No single weight is fitted here, only
   these two factors, and only from the small grid below.
3. The panel's bands: how often a cause shown as likely / possible / unlikely was the one.
4. The cases ranked above 0.9 and the bound their number puts on the error rate (the
   ceiling's reason in the knowledge file quotes it).

Not a test: it prints and never fails a build.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assessments.differential.engine import rank_validated  # noqa: E402
from assessments.differential.knowledge import KNOWLEDGE_PATH, Knowledge, read_knowledge  # noqa: E402
from assessments.vocabulary import validate_findings  # noqa: E402

DEV = ROOT / "assessments" / "vignettes" / "dev.json"
BASELINE = "22a96960fa9eef3077776b5dcf048f28deb2e62a"  # main before issue 10 items 5 and 6
SHRINKS = (0.6, 0.7, 0.8, 0.9, 1.0)  # estimated_log_shrink grid (a shrink: never above 1)
CEILINGS = (0.9, 0.95, 0.97, 0.99)  # probability_ceiling grid


@dataclass(frozen=True)
class Scored:
    """One vignette ranked by one knowledge: shown probabilities and what it should be."""

    probs: dict[str, float]
    order: tuple[str, ...]
    expected: str
    flags_expected: frozenset[str]
    flags_raised: frozenset[str]

    @property
    def brier(self) -> float:
        return sum((p - (cause == self.expected)) ** 2 for cause, p in self.probs.items())


def vignettes() -> list[dict[str, Any]]:
    return json.loads(DEV.read_text(encoding="utf-8"))


def score(kb: Knowledge, cases: Sequence[dict[str, Any]]) -> list[Scored]:
    scored = []
    for case in cases:
        ranking = rank_validated(validate_findings(case["findings"]), kb)
        scored.append(
            Scored(
                probs={c.code: c.probability for c in ranking.causes},
                order=tuple(c.code for c in ranking.causes),
                expected=case["expected"]["primary"],
                flags_expected=frozenset(case["expected"]["red_flags"]),
                flags_raised=frozenset(f.code for f in ranking.red_flags),
            )
        )
    return scored


def summary(scored: Sequence[Scored]) -> dict[str, float]:
    n = len(scored)
    return {
        "brier": statistics.mean(s.brier for s in scored),
        "top1_p": statistics.mean(s.probs[s.order[0]] for s in scored),
        "top1": sum(s.order[0] == s.expected for s in scored) / n,
        "top3": sum(s.expected in s.order[:3] for s in scored) / n,
        "recall_found": sum(len(s.flags_expected & s.flags_raised) for s in scored),
        "recall_wanted": sum(len(s.flags_expected) for s in scored),
        "false_flags": sum(len(s.flags_raised - s.flags_expected) for s in scored),
    }


def with_settings(text: str, shrink: float, ceiling: float, directory: Path) -> Knowledge:
    """The knowledge text with its two calibration settings replaced, read and checked."""
    lines = []
    for line in text.splitlines():
        if line.startswith("estimated_log_shrink ="):
            line = f"estimated_log_shrink = {shrink}"
        elif line.startswith("probability_ceiling ="):
            line = f"probability_ceiling = {ceiling}"
        lines.append(line)
    path = directory / f"knowledge-{shrink}-{ceiling}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_knowledge(path)


def baseline_text() -> str | None:
    """The knowledge file at ``BASELINE`` with the current file's new tables and neutral values.

    The baseline predates the estimated shrink, the ceiling, the panel table and the red-flag
    registry; the first three are added as "off" (shrink 1, ceiling 1) and the red flags' own
    urgency and action dropped, so the current loader reads the old weights unchanged.
    """
    try:
        old = subprocess.run(  # noqa: S603 - fixed arguments, no shell
            ["git", "show", f"{BASELINE}:assessments/differential/knowledge.toml"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    current = KNOWLEDGE_PATH.read_text(encoding="utf-8")
    panel = current[current.index("[panel]") :].split("\n\n# ---", 1)[0]
    added = (
        "[policy]\nestimated_log_shrink = 1.0\nprobability_ceiling = 1.0\n"
        'estimated_shrink_reason = "off (baseline)"\nceiling_reason = "off (baseline)"\n'
    )
    return _red_flags_from_registry(old.replace("[policy]\n", added, 1)) + "\n" + panel + "\n"


def _red_flags_from_registry(text: str) -> str:
    """Drop the baseline's own red-flag urgency and action lines: the registry holds them now
    (they never touched the probabilities, so the calibration figures are unchanged)."""
    kept, in_red_flag = [], False
    for line in text.splitlines():
        if line.startswith("["):
            in_red_flag = line.strip() == "[[red_flag]]"
        if in_red_flag and line.startswith(("urgency =", "action =")):
            continue
        kept.append(line)
    return "\n".join(kept)


def row(label: str, figures: dict[str, float]) -> str:
    return (
        f"   {label:<34} Brier {figures['brier']:.3f}   mean top-1 p {figures['top1_p']:.3f}"
        f" vs top-1 {figures['top1']:.3f} (gap {figures['top1_p'] - figures['top1']:+.3f})"
        f"   top-3 {figures['top3']:.3f}"
        f"   red flags {figures['recall_found']}/{figures['recall_wanted']},"
        f" false {figures['false_flags']}"
    )


def leave_one_out(grid: dict[tuple[float, float], list[Scored]]) -> None:
    n = len(next(iter(grid.values())))
    held_out: list[Scored] = []
    chosen: Counter[tuple[float, float]] = Counter()
    for i in range(n):
        best = min(grid, key=lambda k: sum(s.brier for j, s in enumerate(grid[k]) if j != i))
        chosen[best] += 1
        held_out.append(grid[best][i])
    print(f"2. Leave-one-out over the grid shrink {SHRINKS} x ceiling {CEILINGS}:")
    print(row("held-out (chosen on the other 31)", summary(held_out)))
    picks = ", ".join(f"shrink {s:g} ceiling {c:g} x{k}" for (s, c), k in chosen.most_common())
    print(f"   settings chosen per fold: {picks}")


def main() -> None:
    cases = vignettes()
    current_text = KNOWLEDGE_PATH.read_text(encoding="utf-8")
    current = read_knowledge()
    ranked = [
        i for i, c in enumerate(cases) if set(current.panel.needs_recorded) <= set(c["findings"])
    ]
    print(f"Dev vignettes: {len(cases)}; expected primary cause as the truth.")
    print("1. Before and after (shown probabilities, ceiling applied):")
    old = baseline_text()
    if old is None:
        print(f"   before: knowledge at {BASELINE[:7]} not available (no git history)")
    else:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "knowledge-baseline.toml"
            path.write_text(old, encoding="utf-8")
            before = score(read_knowledge(path), cases)
        print(row(f"before ({BASELINE[:7]}, uncalibrated)", summary(before)))
    policy = current.policy
    label = (
        f"after ({current.version}, shrink {policy.estimated_log_shrink:g},"
        f" ceiling {policy.probability_ceiling:g})"
    )
    after = score(current, cases)
    print(row(label, summary(after)))
    print(
        f"   Only the {len(ranked)} cases the panel ranks (with"
        f" {' and '.join(current.panel.needs_recorded)} recorded):"
    )
    if old is not None:
        print(row("before", summary([before[i] for i in ranked])))
    print(row("after", summary([after[i] for i in ranked])))
    with tempfile.TemporaryDirectory() as tmp:
        unshrunk = with_settings(current_text, 1.0, 1.0, Path(tmp))
        print(row("after, all cases, calibration off", summary(score(unshrunk, cases))))
        grid = {
            (s, c): score(with_settings(current_text, s, c, Path(tmp)), cases)
            for s in SHRINKS
            for c in CEILINGS
        }
    leave_one_out(grid)
    bands(current, after)
    confident = [s for s in grid[(1.0, 0.99)] if s.probs[s.order[0]] > 0.9]
    right = sum(s.order[0] == s.expected for s in confident)
    bound = 1 - 0.05 ** (1 / len(confident)) if right == len(confident) else float("nan")
    print(
        f"4. Cases ranked above 0.9 (shrink 1, ceiling 0.99): {right}/{len(confident)} right;"
        f" one-sided 95 % upper bound on their error rate {bound:.3f}"
    )


def bands(kb: Knowledge, scored: Sequence[Scored]) -> None:
    """How often a cause shown in each band was the expected one (every cause of every case)."""
    tally: dict[str, list[tuple[float, bool]]] = {}
    for s in scored:
        for cause, p in s.probs.items():
            tally.setdefault(kb.panel.band(p), []).append((p, cause == s.expected))
    print("3. Bands on the current knowledge (every cause of every case):")
    for band, items in tally.items():
        share = sum(hit for _, hit in items) / len(items)
        mean_p = statistics.mean(p for p, _ in items)
        print(
            f"   {band:<9} {len(items):3d} causes, mean p {mean_p:.3f}, expected cause {share:.3f}"
        )


if __name__ == "__main__":
    main()
