"""Load and check ``knowledge.toml``: priors, likelihood ratios, groups and rules.

Why a loader with checks: the knowledge is reviewed by clinicians as data, so every typo
(unknown field, value or cause; an LR outside the policy; an EST weight without a reason; a
citation missing from the reference list) must fail loudly at start-up rather than silently
change a ranking. Every problem is listed at once, by key, through the shared loader.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from assessments.differential.conditions import Condition, ConditionError, parse_condition
from assessments.vocabulary import Vocabulary, load_vocabulary
from clinic import knowledge as shared
from clinic.knowledge import Checker

KNOWLEDGE_PATH = Path(__file__).with_name("knowledge.toml")

URGENCIES = shared.URGENCIES
RUN_ADVICE = ("stop_and_seek_care", "stop", "continue", "modify")
POLICY_FIELDS = (
    "published_log_shrink",
    "estimated_log_shrink",
    "lr_max",
    "lr_min",
    "probability_ceiling",
    "source",
    "weight_scale",
    "reasoning",
    "estimated_shrink_reason",
    "ceiling_reason",
)
POLICY_NUMBERS = 5  # the first five policy fields are numbers, the rest texts
BANDS = ("likely", "possible", "unlikely")


class KnowledgeError(shared.KnowledgeError):
    """The knowledge file is inconsistent with itself or with the findings vocabulary."""

    what = "differential knowledge"


@dataclass(frozen=True)
class Policy:
    """How LRs are tempered and how far a probability may go (evidence §4.8; knowledge file)."""

    published_log_shrink: float
    estimated_log_shrink: float
    lr_max: float
    lr_min: float
    probability_ceiling: float
    source: str
    weight_scale: str
    reasoning: str
    estimated_shrink_reason: str
    ceiling_reason: str

    def used_lr(self, figure: float, kind: str) -> float:
        """The LR the engine uses: shrunk in log space by its kind's factor, then capped."""
        if kind == "published":
            log_lr = -math.inf if figure <= 0 else math.log(figure)
            log_lr *= self.published_log_shrink
        else:
            log_lr = math.log(figure) * self.estimated_log_shrink
        return math.exp(min(max(log_lr, math.log(self.lr_min)), math.log(self.lr_max)))


@dataclass(frozen=True)
class Panel:
    """How the panel words the ranking: probability bands and when a ranking is worth showing."""

    likely_at_least: float
    possible_at_least: float
    bands_reason: str
    needs_recorded: tuple[str, ...]
    needs_recorded_reason: str

    def band(self, probability: float) -> str:
        """'likely', 'possible' or 'unlikely' for a shown probability."""
        if probability >= self.likely_at_least:
            return BANDS[0]
        return BANDS[1] if probability >= self.possible_at_least else BANDS[2]


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
    """When a flag is raised. Its urgency and action are the registry's (one place), plus what
    this trigger adds (``extra_action``, e.g. the X-ray first under 18)."""

    code: str
    urgency: str
    action: str
    extra_action: str
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
    panel: Panel
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
    registry: shared.RedFlagRegistry
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
    def running_fields(self) -> tuple[str, ...]:
        """Fields the run-advice rules read: until one is recorded, running is not known."""
        names = [
            name
            for rule in self.run_advice
            for name in (*rule.because_fields, *(f for c in rule.conditions for f in c.fields))
        ]
        return tuple(dict.fromkeys(names))

    @cached_property
    def diagnostic_fields(self) -> tuple[str, ...]:
        """Fields that carry at least one weight, in knowledge-file order."""
        return tuple(self.rules_by_field)


def _number(check: Checker, where: str, table: Mapping[str, Any], key: str) -> float | None:
    value = table.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    check.problems.append(f"{where}.{key}: must be a number")
    return None


def _conditions(
    check: Checker, texts: Any, vocabulary: Vocabulary, where: str
) -> tuple[Condition, ...]:
    if isinstance(texts, str):
        texts = [texts]
    if not check.need(isinstance(texts, list), f"{where}: must be a condition or a list of them"):
        return ()
    conditions = []
    for text in texts:
        try:
            conditions.append(parse_condition(str(text), vocabulary))
        except ConditionError as exc:
            check.problems.append(f"{where}: {exc}")
    return tuple(conditions)


def _normalised(
    check: Checker, column: Mapping[str, Any], causes: tuple[str, ...], where: str
) -> dict[str, float]:
    """The column's priors over exactly the causes, summing to one."""
    if not check.need(
        set(column) == set(causes), f"{where}: priors must name exactly the causes {sorted(causes)}"
    ) or not check.need(
        all(isinstance(v, int | float) and v > 0 for v in column.values()),
        f"{where}: priors must be positive",
    ):
        return dict.fromkeys(causes, 1 / len(causes))
    total = sum(column.values())
    return {cause: column[cause] / total for cause in causes}


def _policy(check: Checker, name: str, raw: Mapping[str, Any]) -> Policy:
    where = f"{name}: policy"
    table = check.table(where, raw.get("policy"))
    numbers = {key: _number(check, where, table, key) for key in POLICY_FIELDS[:POLICY_NUMBERS]}
    texts = {key: check.text(where, table, key) for key in POLICY_FIELDS[POLICY_NUMBERS:]}
    extra = set(table) - set(POLICY_FIELDS)
    check.need(not extra, f"{where}: unknown key(s) {sorted(extra)}")
    values = [numbers[key] for key in POLICY_FIELDS[:POLICY_NUMBERS]]
    if any(value is None for value in values):
        return Policy(1.0, 1.0, 1e300, 1e-300, 1.0, **texts)  # never used: the file fails
    published, estimated, lr_max, lr_min, ceiling = (float(v or 0) for v in values)
    check.need(0 < lr_min < 1 < lr_max, f"{where}: needs 0 < lr_min < 1 < lr_max")
    check.need(
        0 < published <= 1 and 0 < estimated <= 1, f"{where}: a log shrink is a factor in (0, 1]"
    )
    check.need(
        0.5 < ceiling <= 1,
        f"{where}: probability_ceiling must be above 0.5 (so the capped cause stays first) "
        "and at most 1",
    )
    return Policy(published, estimated, lr_max, lr_min, ceiling, **texts)


def _panel(check: Checker, name: str, raw: Mapping[str, Any], vocabulary: Vocabulary) -> Panel:
    where = f"{name}: panel"
    table = check.table(where, raw.get("panel"))
    likely = _number(check, where, table, "likely_at_least")
    possible = _number(check, where, table, "possible_at_least")
    needs = check.texts(where, table, "needs_recorded")
    unknown = [f for f in needs if f not in vocabulary.fields_by_name]
    check.need(not unknown, f"{where}.needs_recorded: unknown field(s) {unknown}")
    ordered = (
        likely is not None
        and possible is not None
        and check.need(0 < possible < likely < 1, f"{where}: needs 0 < possible < likely < 1")
    )
    return Panel(
        likely_at_least=likely if ordered and likely is not None else 1.0,
        possible_at_least=possible if ordered and possible is not None else 1.0,
        bands_reason=check.text(where, table, "bands_reason"),
        needs_recorded=needs,
        needs_recorded_reason=check.text(where, table, "needs_recorded_reason"),
    )


def _weight_rule(
    check: Checker,
    where: str,
    raw: Mapping[str, Any],
    vocabulary: Vocabulary,
    policy: Policy,
    groups: Mapping[str, str],
) -> WeightRule | None:
    conditions = _conditions(check, raw.get("when"), vocabulary, f"{where}.when")
    if len(conditions) != 1:
        check.need(len(conditions) < 1, f"{where}.when: one condition per weight")
        return None
    (condition,) = conditions
    if not check.need(
        len(condition.fields) == 1, f"{where}.when: a weight must be about exactly one field"
    ):
        return None
    if not check.need(
        not any(clause.missing_counts for clause in condition.clauses),
        f"{where}.when: a weight counts recorded findings only, not 'or missing'",
    ):
        return None
    group = raw.get("group")
    check.need(group is None or group in groups, f"{where}.group: unknown group {group!r}")
    weights = []
    for cause, entry in check.table(f"{where}.lr", raw.get("lr")).items():
        at = f"{where}.lr.{cause}"
        if not check.need(cause in vocabulary.cause_codes, f"{at}: unknown cause {cause!r}"):
            continue
        entry = check.table(at, entry)
        kinds = [kind for kind in ("published", "est") if kind in entry]
        if not check.need(len(kinds) == 1, f"{at}: give exactly one of published= or est="):
            continue
        kind = kinds[0]
        figure = _number(check, at, entry, kind)
        source = check.text(at, entry, "source")
        if figure is None:
            continue
        if kind == "est":
            check.need(source.startswith("EST"), f"{at}: an est weight's source starts 'EST: '")
            if not check.need(
                policy.lr_min <= figure <= policy.lr_max,
                f"{at}: est LR {figure} is outside the caps",
            ):
                continue
        elif not check.need(
            not source.startswith("EST") and figure >= 0,
            f"{at}: a published weight cites its source",
        ):
            continue
        weights.append(CauseWeight(cause, figure, kind, policy.used_lr(figure, kind), source))
    return WeightRule(condition, condition.fields[0], group, tuple(weights))


def _parse(
    check: Checker,
    name: str,
    raw: Mapping[str, Any],
    vocabulary: Vocabulary,
    registry: shared.RedFlagRegistry,
) -> Knowledge:
    causes = vocabulary.cause_codes
    fields = vocabulary.fields_by_name
    policy = _policy(check, name, raw)

    priors = check.table(f"{name}: priors", raw.get("priors"))
    columns = {
        column: _normalised(
            check,
            check.table(f"{name}: priors.{column}", priors.get(column)),
            causes,
            f"{name}: priors.{column}",
        )
        for column in ("gradual", "sudden")
    }
    share = _number(check, f"{name}: priors", priors, "sudden_share")
    if share is None or not check.need(
        0 < share < 1, f"{name}: priors.sudden_share: must be between 0 and 1"
    ):
        share = 0.5
    base = {c: (1 - share) * columns["gradual"][c] + share * columns["sudden"][c] for c in causes}
    onset_column = dict(check.table(f"{name}: priors.onset_column", priors.get("onset_column")))
    onset = fields.get("onset")
    for value, column in onset_column.items():
        check.need(
            onset is not None and value in onset.values and column in columns,
            f"{name}: priors.onset_column.{value}: {value!r} -> {column!r} is not valid",
        )
    reasons = {
        cause: str(reason)
        for cause, reason in check.table(f"{name}: priors.reasons", priors.get("reasons")).items()
    }
    check.need(
        set(reasons) == set(causes),
        f"{name}: priors.reasons: must give a reason for every cause",
    )

    not_diagnostic = {}
    for index, entry in enumerate(raw.get("not_diagnostic", []), start=1):
        where = f"{name}: not_diagnostic[{index}]"
        field = entry.get("field")
        if check.need(field in fields, f"{where}.field: unknown field {field!r}"):
            not_diagnostic[field] = check.text(where, entry, "reason")

    groups = {
        group: check.text(
            f"{name}: groups.{group}", check.table(f"{name}: groups.{group}", g), "why"
        )
        for group, g in check.table(f"{name}: groups", raw.get("groups")).items()
    }
    weights: list[WeightRule] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw.get("weight", []), start=1):
        where = f"{name}: weight[{index}]"
        rule = _weight_rule(check, where, entry, vocabulary, policy, groups)
        if rule is None:
            continue
        text = rule.condition.text
        check.need(text not in seen, f"{where}.when: {text!r} is written twice")
        check.need(
            rule.field not in not_diagnostic,
            f"{where}.when: {text!r}: field must not feed the ranking",
        )
        seen.add(text)
        weights.append(rule)
    check.need(bool(weights), f"{name}: weight: the ranking needs weights")

    red_flags = []
    for index, entry in enumerate(raw.get("red_flag", []), start=1):
        code = entry.get("code", "?")
        where = f"{name}: red_flag[{index}]"
        check.text(where, entry, "code")
        check.need(
            registry.is_known(code),
            f"{where}.code: {code!r} is not in the red-flag registry "
            f"({shared.RED_FLAGS_PATH.name}): add its urgency, action and runner text there",
        )
        for key in ("urgency", "action"):
            check.need(
                key not in entry,
                f"{where}.{key}: comes from the red-flag registry ({shared.RED_FLAGS_PATH.name}); "
                "write what this trigger adds as extra_action",
            )
        info = registry.get(code)
        extra = entry.get("extra_action", "")
        check.need(isinstance(extra, str), f"{where}.extra_action: must be a text")
        red_flags.append(
            RedFlagRule(
                code=code,
                urgency=info.urgency,
                action=info.action,
                extra_action=str(extra),
                source=check.text(where, entry, "source"),
                note=str(entry.get("note", "")),
                conditions=_conditions(check, entry.get("when"), vocabulary, f"{where}.when"),
            )
        )
    check.need(bool(red_flags), f"{name}: red_flag: needs at least one red flag")
    flag_codes = {flag.code for flag in red_flags}

    run_rules = []
    for index, entry in enumerate(raw.get("run_advice", []), start=1):
        where = f"{name}: run_advice[{index}]"
        advice = entry.get("advice")
        check.one_of(f"{where}.advice", advice, RUN_ADVICE)
        because = tuple(entry.get("because_fields", ()))
        unknown = [field for field in because if field not in fields]
        check.need(not unknown, f"{where}.because_fields: unknown field(s) {unknown}")
        run_rules.append(
            RunAdviceRule(
                advice=str(advice),
                conditions=_conditions(check, entry.get("when", []), vocabulary, f"{where}.when"),
                any_red_flag=bool(entry.get("any_red_flag", False)),
                default=bool(entry.get("default", False)),
                because_fields=because,
                source=check.text(where, entry, "source"),
            )
        )
    check.need(
        bool(run_rules) and run_rules[-1].default and not any(r.default for r in run_rules[:-1]),
        f"{name}: run_advice: exactly the last rule must be the default",
    )

    triggers: list[Trigger] = []
    for index, entry in enumerate(raw.get("see_professional", []), start=1):
        where = f"{name}: see_professional[{index}]"
        conditions = _conditions(check, entry.get("when"), vocabulary, f"{where}.when")
        source = check.text(where, entry, "source")
        if check.need(len(conditions) <= 1, f"{where}.when: one condition per trigger"):
            triggers.extend(Trigger(condition, source) for condition in conditions)
    check.need(bool(triggers), f"{name}: see_professional: needs at least one trigger")
    sp_red = check.table(
        f"{name}: see_professional_red_flags", raw.get("see_professional_red_flags")
    )

    gates = []
    for index, entry in enumerate(raw.get("test_gate", []), start=1):
        where = f"{name}: test_gate[{index}]"
        field = entry.get("field")
        check.need(field in fields, f"{where}.field: unknown field {field!r}")
        flags = tuple(entry.get("when_red_flags", ()))
        check.need(set(flags) <= flag_codes, f"{where}.when_red_flags: unknown red flag")
        probs = tuple(entry.get("when_probability_at_least", {}).items())
        check.need(
            all(cause in causes for cause, _ in probs),
            f"{where}.when_probability_at_least: unknown cause",
        )
        gates.append(
            TestGate(
                field=str(field),
                reason=check.text(where, entry, "reason"),
                red_flags=flags,
                probability_at_least=tuple((c, float(p)) for c, p in probs),
                conditions=_conditions(check, entry.get("when", []), vocabulary, f"{where}.when"),
            )
        )

    recovery_raw = check.table(f"{name}: recovery", raw.get("recovery"))
    check.need(set(recovery_raw) == set(causes), f"{name}: recovery: must cover every cause")
    recovery = {
        cause: Recovery(
            cause,
            check.text(f"{name}: recovery.{cause}", r, "typical"),
            check.text(f"{name}: recovery.{cause}", r, "source"),
        )
        for cause, r in recovery_raw.items()
    }

    meta = check.table(f"{name}: meta", raw.get("meta"))
    check.need(
        meta.get("findings_vocabulary_version") == vocabulary.version,
        f"{name}: meta.findings_vocabulary_version: knowledge was written for another findings "
        "vocabulary version",
    )
    check.cite_texts(name, raw, free_text_sources=True)
    frozen = MappingProxyType  # the knowledge is cached and shared: keep it read-only
    return Knowledge(
        version=check.text(f"{name}: meta", meta, "version"),
        title=str(meta.get("title", "")),
        policy=policy,
        panel=_panel(check, name, raw, vocabulary),
        causes=causes,
        prior_columns=frozen({column: frozen(col) for column, col in columns.items()}),
        prior_reasons=frozen(reasons),
        prior_source=str(priors.get("source", "")),
        sudden_share=share,
        sudden_share_source=str(priors.get("sudden_share_source", "")),
        onset_column=frozen(onset_column),
        base_prior=frozen(base),
        not_diagnostic=frozen(not_diagnostic),
        groups=frozen(groups),
        weights=tuple(weights),
        red_flags=tuple(red_flags),
        registry=registry,
        run_advice=tuple(run_rules),
        see_professional=tuple(triggers),
        see_professional_red_flags_source=str(sp_red.get("source", "")),
        test_gates=tuple(gates),
        recovery=frozen(recovery),
    )


def read_knowledge(
    path: Path = KNOWLEDGE_PATH,
    references: Path = shared.REFERENCES_PATH,
    red_flags: Path = shared.RED_FLAGS_PATH,
) -> Knowledge:
    """Read and check a knowledge file with the red-flag registry it raises codes of; raise
    KnowledgeError listing every problem."""
    check = Checker()
    raw = check.read(path)
    registry = shared.read_red_flags(check, red_flags)
    knowledge = _parse(check, path.name, raw, load_vocabulary(), registry)
    check.check_references(shared.read_references(check, references))
    check.done(KnowledgeError)
    return knowledge


@cache
def load_knowledge(path: Path = KNOWLEDGE_PATH) -> Knowledge:
    """Read and check the knowledge file once per process."""
    return read_knowledge(path)
