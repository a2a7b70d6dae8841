"""The reasoning: naive Bayes over likelihood ratios in log-odds space, plus the rule gates.

Why naive Bayes: every step is a sum a clinician can follow -- log prior plus one log-LR
per finding -- and each term carries its source, so the explanation *is* the computation.
Its known weakness, double counting of correlated findings, is handled by the groups in
``knowledge.toml`` (per cause, only the strongest supporting and strongest opposing weight
of a group count). Red flags, run advice and referral triggers are rules, never scores.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from assessments.differential.knowledge import Knowledge, TestGate, WeightRule, load_knowledge
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


def _unique(names: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


def _contribution(rule: WeightRule, cause: str, findings: Mapping[str, Any]) -> Contribution:
    weight = rule.weight_for(cause)
    assert weight is not None  # noqa: S101 - callers only ask for causes the rule names
    return Contribution(
        field=rule.field,
        value=rule.condition.clauses[0].shown_value(findings),
        weight=round(weight.log_lr, 2),
        source=weight.source,
    )


# group -> cause -> side ("for" / "against") -> (log_lr, rule): the one weight that counts
GroupBest = dict[str, dict[str, dict[str, tuple[float, WeightRule]]]]


def _matching_rules(findings: Mapping[str, Any], kb: Knowledge) -> list[WeightRule]:
    """Weight rules that hold, in knowledge-file order (the order scores are summed in).

    Only rules about recorded fields are tried: a clause about an absent field is never true.
    """
    return [
        rule for rule in kb.weights if rule.field in findings and rule.condition.holds(findings)
    ]


def _tally(
    findings: Mapping[str, Any], kb: Knowledge
) -> tuple[dict[str, float], dict[str, list[tuple[float, Contribution]]], GroupBest]:
    """``log_scores`` plus, per correlated group, the weights it counted (see ``_with_result``)."""
    scores = {cause: math.log(kb.base_prior[cause]) for cause in kb.causes}
    counted: dict[str, list[tuple[float, Contribution]]] = {cause: [] for cause in kb.causes}

    column_name = kb.onset_column.get(findings.get("onset", ""))
    if column_name is not None:
        column = kb.prior_columns[column_name]
        for cause in kb.causes:
            shift = math.log(column[cause] / kb.base_prior[cause])
            scores[cause] += shift
            counted[cause].append(
                (
                    shift,
                    Contribution(
                        field="onset",
                        value=findings["onset"],
                        weight=round(shift, 2),
                        source=f"Prior shift to the {column_name}-onset column: {kb.prior_source}",
                    ),
                )
            )

    best: GroupBest = defaultdict(lambda: defaultdict(dict))
    for rule in _matching_rules(findings, kb):
        for cause, log_lr in rule.log_weights:
            if rule.group is None:
                scores[cause] += log_lr
                counted[cause].append((log_lr, _contribution(rule, cause, findings)))
                continue
            side = "for" if log_lr > 0 else "against"
            slot = best[rule.group][cause]
            if side not in slot or abs(log_lr) > abs(slot[side][0]):
                slot[side] = (log_lr, rule)
    for per_cause in best.values():
        for cause, sides in per_cause.items():
            for log_lr, rule in sides.values():
                scores[cause] += log_lr
                counted[cause].append((log_lr, _contribution(rule, cause, findings)))
    return scores, counted, best


def log_scores(
    findings: Mapping[str, Any], knowledge: Knowledge | None = None
) -> tuple[dict[str, float], dict[str, list[tuple[float, Contribution]]]]:
    """Unnormalised log posterior per cause, and the contributions that were counted.

    ``findings`` must already be validated (absent / None entries removed).
    """
    scores, counted, _ = _tally(findings, knowledge or load_knowledge())
    return scores, counted


def _with_result(
    scores: Mapping[str, float], best: GroupBest, rules: tuple[WeightRule, ...]
) -> dict[str, float]:
    """Log scores after adding one finding whose matching weight rules are ``rules``.

    Why incremental: the next-best-test search scores every possible result of every untested
    examination; re-scoring all findings each time would dominate the ranking's cost. Adding
    a finding only adds its own weights -- except inside a correlated group, where a weight
    counts only when it beats the strongest one the group already counts for that cause and
    side, and then replaces it. That is exactly what ``_tally`` would compute from scratch.
    """
    shifted = dict(scores)
    counts: dict[tuple[str, str, str], float] = {}  # group weights replaced so far
    for rule in rules:
        for cause, log_lr in rule.log_weights:
            if rule.group is None:
                shifted[cause] += log_lr
                continue
            side = "for" if log_lr > 0 else "against"
            key = (rule.group, cause, side)
            if key in counts:
                current = counts[key]
            else:
                slot = best.get(rule.group, {}).get(cause, {}).get(side)
                current = 0.0 if slot is None else slot[0]
            if abs(log_lr) > abs(current):
                shifted[cause] += log_lr - current
                counts[key] = log_lr
    return shifted


def probabilities(scores: Mapping[str, float]) -> dict[str, float]:
    """Normalise log scores over the causes (softmax, shifted for numerical safety)."""
    top = max(scores.values())
    exp = {cause: math.exp(score - top) for cause, score in scores.items()}
    total = sum(exp.values())
    return {cause: value / total for cause, value in exp.items()}


def posterior(findings: Mapping[str, Any], knowledge: Knowledge | None = None) -> dict[str, float]:
    """Probability of each cause given validated findings."""
    return probabilities(log_scores(findings, knowledge)[0])


def red_flags(
    findings: Mapping[str, Any], knowledge: Knowledge | None = None
) -> tuple[RedFlag, ...]:
    """Every red-flag rule that holds, emergencies first; independent of the ranking."""
    kb = knowledge or load_knowledge()
    raised = []
    for rule in kb.red_flags:
        matched = [c for c in rule.conditions if c.holds(findings)]
        if matched:
            because = _unique([name for c in matched for name in c.fields])
            raised.append(RedFlag(rule.code, rule.urgency, because, rule.action, rule.source))
    raised.sort(key=lambda flag: 0 if flag.urgency == "emergency" else 1)
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
    """One possible result of an untested examination, precomputed from the knowledge."""

    value: Any
    rules: tuple[WeightRule, ...]  # the weight rules this result makes hold
    likelihood: Mapping[str, float]  # cause -> chance of this result under that cause


@cache
def _test_outcomes(field: str, kb: Knowledge) -> tuple[_Outcome, ...]:
    """The results a test can give and their likelihood per cause (depends on knowledge only).

    Each result's relative likelihood under a cause comes from that field's own LRs (each
    result equally likely a priori), normalised over the results.
    """
    spec = load_vocabulary().field(field)
    if spec.type == "boolean":
        values: tuple[Any, ...] = (True, False)
    else:
        values = tuple(value for value in spec.allowed_values if value not in NOT_A_RESULT)
    rules = {value: _rules_holding(field, value, kb) for value in values}
    like = {
        cause: {
            value: math.exp(
                sum(w.log_lr for r in rules[value] for w in r.weights if w.cause == cause)
            )
            for value in values
        }
        for cause in kb.causes
    }
    return tuple(
        _Outcome(
            value=value,
            rules=rules[value],
            likelihood={
                cause: like[cause][value] / sum(like[cause].values()) for cause in kb.causes
            },
        )
        for value in values
    )


def _rules_holding(field: str, value: Any, kb: Knowledge) -> tuple[WeightRule, ...]:
    probe = {field: value}
    return tuple(rule for rule in kb.rules_for_field(field) if rule.condition.holds(probe))


@cache
def _examination_fields(kb: Knowledge) -> tuple[str, ...]:
    """Weighted fields the PT can still test in the room: the next-best-test candidates."""
    vocabulary = load_vocabulary()
    return tuple(f for f in kb.diagnostic_fields if vocabulary.field(f).section == "examination")


def next_best_tests(
    findings: Mapping[str, Any],
    probs: Mapping[str, float],
    flags: tuple[RedFlag, ...],
    knowledge: Knowledge | None = None,
    *,
    scored: tuple[Mapping[str, float], GroupBest] | None = None,
) -> tuple[NextTest, ...]:
    """Untested examination findings whose result would most move the leading causes.

    For each candidate, the predictive distribution of its results is built from its own
    LRs (each result equally likely a priori), each result is scored as if it were added to
    the findings, and the expected absolute change in the top-three probabilities is summed.
    ``scored`` passes the findings' log scores and group weights when the caller has them.
    """
    kb = knowledge or load_knowledge()
    if scored is None:
        scores, _, best = _tally(findings, kb)
    else:
        scores, best = scored
    leaders = sorted(kb.causes, key=lambda c: probs[c], reverse=True)[:LEADING]
    gates = {gate.field: gate for gate in kb.test_gates}
    candidates = []
    for field in _examination_fields(kb):
        if field in findings:
            continue
        gate = gates.get(field)
        if gate is not None and _gated(gate, findings, flags, probs):
            continue
        change: dict[str, float] = dict.fromkeys(leaders, 0.0)
        for outcome in _test_outcomes(field, kb):
            p_value = sum(probs[c] * outcome.likelihood[c] for c in kb.causes)
            after = probabilities(_with_result(scores, best, outcome.rules))
            for cause in leaders:
                change[cause] += p_value * abs(after[cause] - probs[cause])
        total = sum(change.values())
        if total < MIN_EXPECTED_CHANGE:
            continue
        ordered = sorted(leaders, key=lambda c: change[c], reverse=True)
        separates = [c for c in ordered if change[c] >= 0.25 * change[ordered[0]]]
        separates = ordered[:2] if len(separates) < 2 else separates
        candidates.append(NextTest(field, tuple(separates), round(total, 3)))
    candidates.sort(key=lambda test: test.expected_change, reverse=True)
    return tuple(candidates[:NEXT_TESTS])


def rank_validated(findings: Mapping[str, Any], knowledge: Knowledge | None = None) -> Ranking:
    """Rank findings that already passed ``validate_findings``."""
    kb = knowledge or load_knowledge()
    vocabulary = load_vocabulary()
    scores, counted, best = _tally(findings, kb)
    probs = probabilities(scores)
    order = sorted(kb.causes, key=lambda c: (-probs[c], kb.causes.index(c)))
    causes = []
    for cause in order:
        items = counted[cause]
        supporting = sorted((i for i in items if i[0] > 0), key=lambda i: -i[0])
        opposing = sorted((i for i in items if i[0] < 0), key=lambda i: i[0])
        causes.append(
            CauseResult(
                code=cause,
                name=vocabulary.cause_name(cause),
                probability=probs[cause],
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
        next_best_tests=next_best_tests(findings, probs, flags, kb, scored=(scores, best)),
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
