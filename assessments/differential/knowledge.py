"""Load and check ``knowledge.toml``: priors, likelihood ratios, groups and rules.

Why a loader with checks: the knowledge is reviewed by clinicians as data, so every typo
(unknown field, value or cause; an LR outside the policy; an EST weight without a reason)
must fail loudly at start-up rather than silently change a ranking.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from assessments.differential.conditions import Condition, ConditionError, parse_condition
from assessments.vocabulary import Vocabulary, load_vocabulary

KNOWLEDGE_PATH = Path(__file__).with_name("knowledge.toml")

URGENCIES = ("emergency", "urgent")
RUN_ADVICE = ("stop_and_seek_care", "stop", "continue", "modify")


class KnowledgeError(ValueError):
    """The knowledge file is inconsistent with itself or with the findings vocabulary."""


@dataclass(frozen=True)
class Policy:
    """How published LRs are tempered (evidence §4.8)."""

    published_log_shrink: float
    lr_max: float
    lr_min: float
    source: str
    weight_scale: str
    reasoning: str

    def used_lr(self, figure: float, kind: str) -> float:
        """The LR the engine uses: published figures are shrunk in log space, all are capped."""
        if kind == "published":
            log_lr = -math.inf if figure <= 0 else math.log(figure)
            log_lr *= self.published_log_shrink
        else:
            log_lr = math.log(figure)
        return math.exp(min(max(log_lr, math.log(self.lr_min)), math.log(self.lr_max)))


@dataclass(frozen=True)
class CauseWeight:
    """One cause's likelihood ratio for one finding value, with its provenance."""

    cause: str
    figure: float  # the number written in the knowledge file
    kind: str  # "published" (shrunk and capped) or "est" (capped)
    lr: float  # the LR actually used
    source: str

    @cached_property
    def log_lr(self) -> float:
        """Cached: the engine reads it for every matching rule of every ranking."""
        return math.log(self.lr)


@dataclass(frozen=True)
class WeightRule:
    """A finding value (a condition on one field) and the LRs it carries per cause."""

    condition: Condition
    field: str
    group: str | None
    weights: tuple[CauseWeight, ...]

    def weight_for(self, cause: str) -> CauseWeight | None:
        return next((w for w in self.weights if w.cause == cause), None)

    @cached_property
    def log_weights(self) -> tuple[tuple[str, float], ...]:
        """(cause, log-LR) for every weight that moves a cause; an LR of exactly 1 does not."""
        return tuple((w.cause, w.log_lr) for w in self.weights if w.log_lr != 0)


@dataclass(frozen=True)
class RedFlagRule:
    code: str
    urgency: str
    action: str
    source: str
    note: str
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class RunAdviceRule:
    advice: str
    conditions: tuple[Condition, ...]
    any_red_flag: bool
    default: bool
    because_fields: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Trigger:
    condition: Condition
    source: str


@dataclass(frozen=True)
class TestGate:
    field: str
    reason: str
    red_flags: tuple[str, ...]
    probability_at_least: tuple[tuple[str, float], ...]
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Recovery:
    cause: str
    typical: str
    source: str


@dataclass(frozen=True, eq=False)
class Knowledge:
    """Everything the differential knows, as immutable, checked data.

    Compared and hashed by identity (``eq=False``): there is one per knowledge file, and the
    engine caches tables derived from it.
    """

    version: str
    title: str
    policy: Policy
    causes: tuple[str, ...]
    prior_columns: Mapping[str, Mapping[str, float]]  # column -> cause -> normalised prior
    prior_reasons: Mapping[str, str]
    prior_source: str
    sudden_share: float
    sudden_share_source: str
    onset_column: Mapping[str, str]
    base_prior: Mapping[str, float]
    not_diagnostic: Mapping[str, str]
    groups: Mapping[str, str]
    weights: tuple[WeightRule, ...]
    red_flags: tuple[RedFlagRule, ...]
    run_advice: tuple[RunAdviceRule, ...]
    see_professional: tuple[Trigger, ...]
    see_professional_red_flags_source: str
    test_gates: tuple[TestGate, ...]
    recovery: Mapping[str, Recovery]

    def rules_for_field(self, field: str) -> tuple[WeightRule, ...]:
        return self.rules_by_field.get(field, ())

    @cached_property
    def rules_by_field(self) -> Mapping[str, tuple[WeightRule, ...]]:
        """Weight rules per field, in file order (built once: the engine looks up per ranking)."""
        by_field: dict[str, list[WeightRule]] = {}
        for rule in self.weights:
            by_field.setdefault(rule.field, []).append(rule)
        return MappingProxyType({name: tuple(rules) for name, rules in by_field.items()})

    @cached_property
    def diagnostic_fields(self) -> tuple[str, ...]:
        """Fields that carry at least one weight, in knowledge-file order."""
        return tuple(self.rules_by_field)


def _require(table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise KnowledgeError(f"{where}: missing {key!r}")
    return table[key]


def _conditions(texts: Any, vocabulary: Vocabulary, where: str) -> tuple[Condition, ...]:
    if isinstance(texts, str):
        texts = [texts]
    try:
        return tuple(parse_condition(text, vocabulary) for text in texts)
    except ConditionError as exc:
        raise KnowledgeError(f"{where}: {exc}") from exc


def _normalised(
    column: Mapping[str, float], causes: tuple[str, ...], where: str
) -> dict[str, float]:
    if set(column) != set(causes):
        raise KnowledgeError(f"{where}: priors must name exactly the causes {sorted(causes)}")
    total = sum(column.values())
    if not all(value > 0 for value in column.values()):
        raise KnowledgeError(f"{where}: priors must be positive")
    return {cause: column[cause] / total for cause in causes}


def _weight_rule(
    raw: Mapping[str, Any], vocabulary: Vocabulary, policy: Policy, groups: Mapping[str, str]
) -> WeightRule:
    text = _require(raw, "when", "weight")
    where = f"weight {text!r}"
    (condition,) = _conditions(text, vocabulary, where)
    if len(condition.fields) != 1:
        raise KnowledgeError(f"{where}: a weight must be about exactly one field")
    if any(clause.missing_counts for clause in condition.clauses):
        raise KnowledgeError(f"{where}: a weight counts recorded findings only, not 'or missing'")
    group = raw.get("group")
    if group is not None and group not in groups:
        raise KnowledgeError(f"{where}: unknown group {group!r}")
    causes = vocabulary.cause_codes
    weights = []
    for cause, entry in _require(raw, "lr", where).items():
        if cause not in causes:
            raise KnowledgeError(f"{where}: unknown cause {cause!r}")
        kinds = [kind for kind in ("published", "est") if kind in entry]
        if len(kinds) != 1:
            raise KnowledgeError(f"{where}, {cause}: give exactly one of published= or est=")
        kind = kinds[0]
        figure = float(entry[kind])
        source = str(_require(entry, "source", f"{where}, {cause}"))
        if kind == "est":
            if not source.startswith("EST"):
                raise KnowledgeError(f"{where}, {cause}: an est weight's source starts 'EST: '")
            if not policy.lr_min <= figure <= policy.lr_max:
                raise KnowledgeError(f"{where}, {cause}: est LR {figure} is outside the caps")
        elif source.startswith("EST") or figure < 0:
            raise KnowledgeError(f"{where}, {cause}: a published weight cites its source")
        weights.append(CauseWeight(cause, figure, kind, policy.used_lr(figure, kind), source))
    return WeightRule(condition, condition.fields[0], group, tuple(weights))


def _parse(raw: Mapping[str, Any], vocabulary: Vocabulary) -> Knowledge:
    causes = vocabulary.cause_codes
    fields = vocabulary.fields_by_name
    policy = Policy(**_require(raw, "policy", "file"))

    priors = _require(raw, "priors", "file")
    columns = {
        name: _normalised(_require(priors, name, "priors"), causes, f"priors.{name}")
        for name in ("gradual", "sudden")
    }
    share = float(_require(priors, "sudden_share", "priors"))
    if not 0 < share < 1:
        raise KnowledgeError("priors.sudden_share must be between 0 and 1")
    base = {c: (1 - share) * columns["gradual"][c] + share * columns["sudden"][c] for c in causes}
    onset_column = dict(_require(priors, "onset_column", "priors"))
    for value, column in onset_column.items():
        if value not in fields["onset"].values or column not in columns:
            raise KnowledgeError(f"priors.onset_column: {value!r} -> {column!r} is not valid")
    reasons = dict(_require(priors, "reasons", "priors"))
    if set(reasons) != set(causes):
        raise KnowledgeError("priors.reasons must give a reason for every cause")

    not_diagnostic = {}
    for entry in raw.get("not_diagnostic", []):
        name = _require(entry, "field", "not_diagnostic")
        if name not in fields:
            raise KnowledgeError(f"not_diagnostic: unknown field {name!r}")
        not_diagnostic[name] = str(_require(entry, "reason", f"not_diagnostic {name}"))

    groups = {name: str(_require(g, "why", f"group {name}")) for name, g in raw["groups"].items()}
    weights = tuple(_weight_rule(w, vocabulary, policy, groups) for w in raw["weight"])
    seen: set[str] = set()
    for rule in weights:
        if rule.condition.text in seen:
            raise KnowledgeError(f"weight {rule.condition.text!r} is written twice")
        seen.add(rule.condition.text)
        if rule.field in not_diagnostic:
            raise KnowledgeError(f"weight {rule.condition.text!r}: field must not feed the ranking")

    red_flags = []
    for entry in _require(raw, "red_flag", "file"):
        code = _require(entry, "code", "red_flag")
        urgency = _require(entry, "urgency", f"red_flag {code}")
        if urgency not in URGENCIES:
            raise KnowledgeError(f"red_flag {code}: urgency must be one of {URGENCIES}")
        red_flags.append(
            RedFlagRule(
                code=code,
                urgency=urgency,
                action=str(_require(entry, "action", f"red_flag {code}")),
                source=str(_require(entry, "source", f"red_flag {code}")),
                note=str(entry.get("note", "")),
                conditions=_conditions(entry["when"], vocabulary, f"red_flag {code}"),
            )
        )
    flag_codes = {flag.code for flag in red_flags}

    run_rules = []
    for entry in _require(raw, "run_advice", "file"):
        advice = _require(entry, "advice", "run_advice")
        if advice not in RUN_ADVICE:
            raise KnowledgeError(f"run_advice: {advice!r} is not one of {RUN_ADVICE}")
        because = tuple(entry.get("because_fields", ()))
        if any(name not in fields for name in because):
            raise KnowledgeError(f"run_advice {advice}: unknown field in because_fields")
        run_rules.append(
            RunAdviceRule(
                advice=advice,
                conditions=_conditions(entry.get("when", []), vocabulary, f"run_advice {advice}"),
                any_red_flag=bool(entry.get("any_red_flag", False)),
                default=bool(entry.get("default", False)),
                because_fields=because,
                source=str(_require(entry, "source", f"run_advice {advice}")),
            )
        )
    if not run_rules or not run_rules[-1].default or any(r.default for r in run_rules[:-1]):
        raise KnowledgeError("run_advice: exactly the last rule must be the default")

    triggers = tuple(
        Trigger(
            condition=_conditions(t["when"], vocabulary, "see_professional")[0],
            source=str(_require(t, "source", "see_professional")),
        )
        for t in _require(raw, "see_professional", "file")
    )
    sp_red = _require(raw, "see_professional_red_flags", "file")

    gates = []
    for entry in raw.get("test_gate", []):
        name = _require(entry, "field", "test_gate")
        if name not in fields:
            raise KnowledgeError(f"test_gate: unknown field {name!r}")
        flags = tuple(entry.get("when_red_flags", ()))
        if not set(flags) <= flag_codes:
            raise KnowledgeError(f"test_gate {name}: unknown red flag")
        probs = tuple(entry.get("when_probability_at_least", {}).items())
        if any(cause not in causes for cause, _ in probs):
            raise KnowledgeError(f"test_gate {name}: unknown cause")
        gates.append(
            TestGate(
                field=name,
                reason=str(_require(entry, "reason", f"test_gate {name}")),
                red_flags=flags,
                probability_at_least=tuple((c, float(p)) for c, p in probs),
                conditions=_conditions(entry.get("when", []), vocabulary, f"test_gate {name}"),
            )
        )

    recovery_raw = _require(raw, "recovery", "file")
    if set(recovery_raw) != set(causes):
        raise KnowledgeError("recovery must cover every cause")
    recovery = {
        cause: Recovery(cause, str(r["typical"]), str(r["source"]))
        for cause, r in recovery_raw.items()
    }

    meta = _require(raw, "meta", "file")
    if meta.get("findings_vocabulary_version") != vocabulary.version:
        raise KnowledgeError("knowledge was written for another findings vocabulary version")
    frozen = MappingProxyType  # the knowledge is cached and shared: keep it read-only
    return Knowledge(
        version=str(_require(meta, "version", "meta")),
        title=str(meta.get("title", "")),
        policy=policy,
        causes=causes,
        prior_columns=frozen({name: frozen(col) for name, col in columns.items()}),
        prior_reasons=frozen(reasons),
        prior_source=str(priors.get("source", "")),
        sudden_share=share,
        sudden_share_source=str(priors.get("sudden_share_source", "")),
        onset_column=frozen(onset_column),
        base_prior=frozen(base),
        not_diagnostic=frozen(not_diagnostic),
        groups=frozen(groups),
        weights=weights,
        red_flags=tuple(red_flags),
        run_advice=tuple(run_rules),
        see_professional=triggers,
        see_professional_red_flags_source=str(sp_red.get("source", "")),
        test_gates=tuple(gates),
        recovery=frozen(recovery),
    )


@cache
def load_knowledge(path: Path = KNOWLEDGE_PATH) -> Knowledge:
    """Read and check the knowledge file once per process."""
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return _parse(raw, load_vocabulary())
