"""The reasoning: naive Bayes over likelihood ratios in log-odds space, plus the rule gates.

Why naive Bayes: every step is a sum a clinician can follow -- log prior plus one log-LR
per finding -- and each term carries its source, so the explanation *is* the computation.
Its known weakness, double counting of correlated findings, is handled by the groups in
``knowledge.toml`` (per cause, only the strongest supporting and strongest opposing weight
of a group count). Red flags, run advice and referral triggers are rules, never scores.

Speed (the panel re-ranks on every answer): only weight rules about recorded fields are
tried, tables that depend on the knowledge alone are built once, and the next-best-test
search adds one hypothetical result to the findings' tally instead of re-scoring them all.
"""

from __future__ import annotations

import math
import operator
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from assessments.differential.conditions import Condition
from assessments.differential.knowledge import (
    URGENCIES,
    CauseWeight,
    Knowledge,
    RedFlagRule,
    TestGate,
    WeightRule,
    load_knowledge,
)
from assessments.differential.result import (
    CauseResult,
    Contribution,
    ExpectedRecovery,
    NextTest,
    Ranking,
    RedFlag,
    RunAdvice,
    SeeProfessional,
)
from assessments.vocabulary import load_vocabulary, validate_findings

LEADING = 3  # causes whose separation the next-best-test search tries to improve
NEXT_TESTS = 3
MIN_EXPECTED_CHANGE = 0.01  # a test expected to move the leaders less than this is not worth it
NOT_A_RESULT = frozenset({"not_done_unsafe"})  # enum values that record why a test was not done

# group -> cause -> side ("for" / "against") -> (log_lr, rule): the one weight the group counts
GroupBest = dict[str, dict[str, dict[str, tuple[float, WeightRule]]]]
GroupSlot = tuple[str, str, str]  # (group, cause, side)


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _side(log_lr: float) -> str:
    return "for" if log_lr > 0 else "against"


def _contribution(
    rule: WeightRule, weight: CauseWeight, findings: Mapping[str, Any]
) -> Contribution:
    value = rule.condition.clauses[0].shown_value(findings)
    if isinstance(value, list):  # a set finding's members: not hashable, so not shared
        return Contribution(rule.field, value, round(weight.log_lr, 2), weight.source)
    return _shared_contribution(rule.field, value, weight.log_lr, weight.source)


@lru_cache(maxsize=4096, typed=True)  # typed: 30 and 30.0 are shown differently
def _shared_contribution(field: str, value: Any, log_lr: float, source: str) -> Contribution:
    """Build each explanation once: the same few recur in every ranking, and they are frozen."""
    return Contribution(field, value, round(log_lr, 2), source)


def _matching_rules(findings: Mapping[str, Any], kb: Knowledge) -> list[WeightRule]:
    """Weight rules that hold, in knowledge-file order (the order scores are summed in).

    Only rules about recorded fields are tried: a weight's clause about an absent field is
    never true (the loader refuses ``or missing`` in a weight).
    """
    return [
        rule for rule in kb.weights if rule.field in findings and rule.condition.holds(findings)
    ]


@cache
def _log_prior(kb: Knowledge) -> Mapping[str, float]:
    """The mixture prior (onset not recorded) per cause, as log odds."""
    return {cause: math.log(kb.base_prior[cause]) for cause in kb.causes}


@cache
def _onset_shift(onset: str, kb: Knowledge) -> tuple[tuple[str, float, Contribution], ...]:
    """(cause, log shift, explanation) when a recorded onset selects its prior column."""
    column_name = kb.onset_column.get(onset)
    if column_name is None:
        return ()
    column = kb.prior_columns[column_name]
    source = f"Prior shift to the {column_name}-onset column: {kb.prior_source}"
    shifts = []
    for cause in kb.causes:
        shift = math.log(column[cause] / kb.base_prior[cause])
        shifts.append((cause, shift, Contribution("onset", onset, round(shift, 2), source)))
    return tuple(shifts)


@dataclass(frozen=True)
class Tally:
    """The findings' unnormalised log score per cause and what was counted to reach it.

    ``group_best`` keeps, per correlated group, cause and side, the one weight counted, so a
    further finding can be added without re-scoring the rest (see ``_score_shift``).
    """

    scores: dict[str, float]
    counted: dict[str, list[tuple[float, Contribution]]]
    group_best: GroupBest


def tally(findings: Mapping[str, Any], knowledge: Knowledge | None = None) -> Tally:
    """Log prior (onset column) plus every counted log-LR, each kept with its reason.

    ``findings`` must already be validated (absent / None entries removed).
    """
    kb = knowledge or load_knowledge()
    scores = dict(_log_prior(kb))
    counted: dict[str, list[tuple[float, Contribution]]] = {cause: [] for cause in kb.causes}
    for cause, shift, contribution in _onset_shift(findings.get("onset", ""), kb):
        scores[cause] += shift
        counted[cause].append((shift, contribution))

    best: GroupBest = defaultdict(lambda: defaultdict(dict))
    for rule in _matching_rules(findings, kb):
        for weight in rule.weights:
            log_lr = weight.log_lr
            if log_lr == 0:
                continue
            if rule.group is None:
                scores[weight.cause] += log_lr
                counted[weight.cause].append((log_lr, _contribution(rule, weight, findings)))
                continue
            side = _side(log_lr)
            slot = best[rule.group][weight.cause]
            if side not in slot or abs(log_lr) > abs(slot[side][0]):
                slot[side] = (log_lr, rule)
    for per_cause in best.values():
        for cause, sides in per_cause.items():
            for log_lr, rule in sides.values():
                kept = rule.weight_for(cause)
                assert kept is not None  # noqa: S101 - the rule was kept for this cause
                scores[cause] += log_lr
                counted[cause].append((log_lr, _contribution(rule, kept, findings)))
    return Tally(scores, counted, best)


def log_scores(
    findings: Mapping[str, Any], knowledge: Knowledge | None = None
) -> tuple[dict[str, float], dict[str, list[tuple[float, Contribution]]]]:
    """Unnormalised log posterior per cause, and the contributions that were counted.

    ``findings`` must already be validated (absent / None entries removed).
    """
    tallied = tally(findings, knowledge)
    return tallied.scores, tallied.counted


def probabilities(scores: Mapping[str, float]) -> dict[str, float]:
    """Normalise log scores over the causes (softmax, shifted for numerical safety)."""
    top = max(scores.values())
    exp = {cause: math.exp(score - top) for cause, score in scores.items()}
    total = sum(exp.values())
    return {cause: value / total for cause, value in exp.items()}


def capped(probs: Mapping[str, float], ceiling: float) -> dict[str, float]:
    """Hold the leading probability at ``ceiling``, sharing the excess over the others.

    Why: the naive-Bayes sum treats a dozen related findings as independent and reaches
    0.999; no finding in the evidence supports that certainty (see ``probability_ceiling`` in
    the knowledge file). The others keep their proportions, so the order is unchanged (the
    loader keeps the ceiling above one half).
    """
    top = max(probs, key=lambda cause: probs[cause])
    if probs[top] <= ceiling:
        return dict(probs)
    rest = sum(p for cause, p in probs.items() if cause != top)
    others = len(probs) - 1
    return {
        cause: ceiling
        if cause == top
        else (1.0 - ceiling) * (p / rest if rest > 0 else 1.0 / others)
        for cause, p in probs.items()
    }


def posterior(findings: Mapping[str, Any], knowledge: Knowledge | None = None) -> dict[str, float]:
    """Probability of each cause given validated findings, as shown (ceiling applied)."""
    kb = knowledge or load_knowledge()
    return capped(probabilities(log_scores(findings, kb)[0]), kb.policy.probability_ceiling)


def red_flags(
    findings: Mapping[str, Any], knowledge: Knowledge | None = None
) -> tuple[RedFlag, ...]:
    """Every red flag with a rule that holds, once per code, emergencies first.

    Independent of the ranking. A code may have several rules (one per trigger, each with its
    own source and action): the flag gathers the actions and sources of those that hold, and
    the recorded findings they read. A field a rule counts when missing is not a finding, so it
    is not listed under ``because`` (read there, a blank risk factor would look present).
    """
    kb = knowledge or load_knowledge()
    held: dict[str, list[tuple[RedFlagRule, list[Condition]]]] = {}
    for rule in kb.red_flags:
        matched = [c for c in rule.conditions if c.holds(findings)]
        if matched:
            held.setdefault(rule.code, []).append((rule, matched))
    raised = []
    for code, hits in held.items():
        raised.append(
            RedFlag(
                code=code,
                urgency=kb.registry.get(code).urgency,
                because=_unique(
                    [
                        name
                        for _, conds in hits
                        for c in conds
                        for name in c.fields
                        if name in findings
                    ]
                ),
                action=" ".join(
                    _unique(
                        [kb.registry.get(code).action]
                        + [rule.extra_action for rule, _ in hits if rule.extra_action]
                    )
                ),
                source="; ".join(_unique([rule.source for rule, _ in hits])),
            )
        )
    raised.sort(key=lambda flag: URGENCIES.index(flag.urgency))
    return tuple(raised)


def run_advice(
    findings: Mapping[str, Any],
    flags: tuple[RedFlag, ...],
    knowledge: Knowledge | None = None,
) -> RunAdvice:
    """The contract's ordered run-advice rules: the first rule that holds wins."""
    kb = knowledge or load_knowledge()
    for rule in kb.run_advice:
        if rule.default:
            because = tuple(name for name in rule.because_fields if name in findings)
            return RunAdvice(rule.advice, because, rule.source)
        names = [name for c in rule.conditions if c.holds(findings) for name in c.fields]
        if rule.any_red_flag and flags:
            names += [name for flag in flags for name in flag.because]
        if names:
            return RunAdvice(rule.advice, _unique(names), rule.source)
    raise AssertionError("the knowledge loader guarantees a default run-advice rule")


def see_professional(
    findings: Mapping[str, Any],
    flags: tuple[RedFlag, ...],
    knowledge: Knowledge | None = None,
) -> SeeProfessional:
    """The seed's referral triggers; any red flag also means seeing a professional."""
    kb = knowledge or load_knowledge()
    names = [
        name
        for trigger in kb.see_professional
        if trigger.condition.holds(findings)
        for name in trigger.condition.fields
    ]
    names += [name for flag in flags for name in flag.because]
    because = _unique(names)
    return SeeProfessional(needed=bool(because), because=because)


def _gated(
    gate: TestGate,
    findings: Mapping[str, Any],
    flags: tuple[RedFlag, ...],
    probs: Mapping[str, float],
) -> bool:
    if any(flag.code in gate.red_flags for flag in flags):
        return True
    if any(probs[cause] >= level for cause, level in gate.probability_at_least):
        return True
    return any(condition.holds(findings) for condition in gate.conditions)


@dataclass(frozen=True)
class _Outcome:
    """One possible result of an untested examination, worked out from the knowledge alone."""

    value: Any
    likelihood: tuple[float, ...]  # chance of this result under each cause, in knowledge order
    shift: tuple[tuple[str, float], ...]  # (cause, summed log-LR of its ungrouped weights)
    grouped: tuple[tuple[GroupSlot, float], ...]  # its strongest weight per group slot


@cache
def _test_outcomes(field: str, kb: Knowledge) -> tuple[_Outcome, ...]:
    """The results a test can give, with their likelihood per cause; built once per field.

    A result's relative likelihood under a cause comes from the field's own LRs (each
    result equally likely a priori), normalised over the results.
    """
    spec = load_vocabulary().field(field)
    if spec.type == "boolean":
        values: tuple[Any, ...] = (True, False)
    else:
        values = tuple(value for value in spec.allowed_values if value not in NOT_A_RESULT)
    rules = {
        value: [r for r in kb.rules_for_field(field) if r.condition.holds({field: value})]
        for value in values
    }
    like = {
        cause: {
            value: math.exp(
                sum(w.log_lr for r in rules[value] for w in r.weights if w.cause == cause)
            )
            for value in values
        }
        for cause in kb.causes
    }
    outcomes = []
    for value in values:
        shift: dict[str, float] = {}
        strongest: dict[GroupSlot, float] = {}  # the first of the strongest, as in ``tally``
        for rule in rules[value]:
            for cause, log_lr in rule.log_weights:
                if rule.group is None:
                    shift[cause] = shift.get(cause, 0.0) + log_lr
                    continue
                slot = (rule.group, cause, _side(log_lr))
                if slot not in strongest or abs(log_lr) > abs(strongest[slot]):
                    strongest[slot] = log_lr
        outcomes.append(
            _Outcome(
                value=value,
                likelihood=tuple(like[c][value] / sum(like[c].values()) for c in kb.causes),
                shift=tuple(shift.items()),
                grouped=tuple(strongest.items()),
            )
        )
    return tuple(outcomes)


@cache
def _examination_fields(kb: Knowledge) -> tuple[str, ...]:
    """Weighted fields the PT can still test in the room: the next-best-test candidates."""
    vocabulary = load_vocabulary()
    return tuple(f for f in kb.diagnostic_fields if vocabulary.field(f).section == "examination")


def _score_shift(
    outcome: _Outcome, group_counts: Mapping[GroupSlot, float]
) -> Iterable[tuple[str, float]]:
    """(cause, change of its log score) when ``outcome`` is added to the findings.

    Ungrouped weights simply add. Inside a correlated group the result's strongest weight
    counts only when it beats the one the group already counts for that cause and side
    (``group_counts``), and then replaces it -- as ``tally`` would for the extended findings.
    """
    if not outcome.grouped:
        return outcome.shift
    shift = dict(outcome.shift)
    for slot, log_lr in outcome.grouped:
        current = group_counts.get(slot, 0.0)
        if abs(log_lr) > abs(current):
            cause = slot[1]
            shift[cause] = shift.get(cause, 0.0) + log_lr - current
    return shift.items()


def next_best_tests(
    findings: Mapping[str, Any],
    tallied: Tally,
    probs: Mapping[str, float],
    flags: tuple[RedFlag, ...],
    knowledge: Knowledge | None = None,
    shown: Mapping[str, float] | None = None,
) -> tuple[NextTest, ...]:
    """Untested examination findings whose result would most move the leading causes.

    For each candidate, the predictive distribution of its results is built from its own
    LRs (each result equally likely a priori), each result is added to the findings' tally
    (``tallied``, from :func:`tally`), and the expected absolute change in the top-three
    probabilities is summed. None during an emergency flag (contract: the runner goes, the
    examination stops); tests that load a flagged structure are gated in the knowledge file.
    A probability gate reads the higher of ``probs`` and ``shown`` (the capped figures the PT
    sees, which raise every cause but the leader), so a test is never offered while the panel
    shows its cause at or above the gate.
    """
    if any(flag.urgency == "emergency" for flag in flags):
        return ()
    kb = knowledge or load_knowledge()
    leaders = sorted(kb.causes, key=lambda c: probs[c], reverse=True)[:LEADING]
    gates = {gate.field: gate for gate in kb.test_gates}
    gate_probs = {cause: max(probs[cause], (shown or probs)[cause]) for cause in kb.causes}
    prob_vector = [probs[cause] for cause in kb.causes]
    group_counts = {
        (group, cause, side): log_lr
        for group, per_cause in tallied.group_best.items()
        for cause, sides in per_cause.items()
        for side, (log_lr, _) in sides.items()
    }
    # P(cause) = mass[cause] / total. A result moving some causes' log scores by d multiplies
    # their mass by exp(d) and leaves the others' mass as it is.
    top = max(tallied.scores.values())
    mass = {cause: math.exp(score - top) for cause, score in tallied.scores.items()}
    total = sum(mass.values())
    leader_mass = {cause: mass[cause] for cause in leaders}
    candidates = []
    for field in _examination_fields(kb):
        if field in findings:
            continue
        gate = gates.get(field)
        if gate is not None and _gated(gate, findings, flags, gate_probs):
            continue
        change: dict[str, float] = dict.fromkeys(leaders, 0.0)
        for outcome in _test_outcomes(field, kb):
            if not (outcome.shift or outcome.grouped):
                continue  # a result that carries no weight leaves every probability as it is
            p_value = sum(map(operator.mul, prob_vector, outcome.likelihood))
            after = dict(leader_mass)
            moved_total = total
            for cause, d in _score_shift(outcome, group_counts):
                moved = mass[cause] * math.exp(d)
                moved_total += moved - mass[cause]
                if cause in after:
                    after[cause] = moved
            for cause, moved in after.items():
                change[cause] += p_value * abs(moved / moved_total - probs[cause])
        expected = sum(change.values())
        if expected < MIN_EXPECTED_CHANGE:
            continue
        ordered = sorted(leaders, key=lambda c: change[c], reverse=True)
        separates = [c for c in ordered if change[c] >= 0.25 * change[ordered[0]]]
        separates = ordered[:2] if len(separates) < 2 else separates
        candidates.append(NextTest(field, tuple(separates), round(expected, 3)))
    candidates.sort(key=lambda test: test.expected_change, reverse=True)
    return tuple(candidates[:NEXT_TESTS])


def rank_validated(findings: Mapping[str, Any], knowledge: Knowledge | None = None) -> Ranking:
    """Rank findings that already passed ``validate_findings``."""
    kb = knowledge or load_knowledge()
    vocabulary = load_vocabulary()
    tallied = tally(findings, kb)
    probs = probabilities(tallied.scores)  # the test search and gates reason on these
    shown = capped(probs, kb.policy.probability_ceiling)
    order = sorted(kb.causes, key=lambda c: (-probs[c], kb.causes.index(c)))
    causes = []
    for cause in order:
        items = tallied.counted[cause]
        supporting = sorted((i for i in items if i[0] > 0), key=lambda i: -i[0])
        opposing = sorted((i for i in items if i[0] < 0), key=lambda i: i[0])
        causes.append(
            CauseResult(
                code=cause,
                name=vocabulary.cause_name(cause),
                probability=shown[cause],
                for_=tuple(c for _, c in supporting),
                against=tuple(c for _, c in opposing),
            )
        )
    flags = red_flags(findings, kb)
    recovery = kb.recovery[order[0]]
    return Ranking(
        causes=tuple(causes),
        red_flags=flags,
        run_advice=run_advice(findings, flags, kb),
        see_professional=see_professional(findings, flags, kb),
        next_best_tests=next_best_tests(findings, tallied, probs, flags, kb, shown),
        expected_recovery=ExpectedRecovery(recovery.cause, recovery.typical, recovery.source),
        knowledge_version=kb.version,
    )


def rank(findings: Mapping[str, Any]) -> Ranking:
    """Validate findings against the vocabulary and rank the eight causes.

    Raises ``FindingsError`` whose ``errors`` name each bad field. Absent or None fields
    ("not asked / not tested") are dropped by validation and change nothing.
    """
    clean = validate_findings(dict(findings) if isinstance(findings, Mapping) else findings)
    return rank_validated(clean)
