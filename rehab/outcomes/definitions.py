"""Load and check the outcome-measure definitions in ``measures.toml`` (plain Python, no Django).

``load_measures(path)`` reads the file through the shared knowledge loader into frozen
dataclasses and raises ``DefinitionError`` listing every problem by file and key: unknown item
kinds, a declared range that the items cannot score, a ``when`` naming no branch item or value,
a source that does not resolve in the reference list. The default load is cached;
``measure(code)``, ``measures()`` and ``measures_version()`` use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from clinic import knowledge as shared
from clinic.knowledge import Checker, Reference

MEASURES_FILE = Path(__file__).resolve().parent / "measures.toml"

Direction = Literal["higher_better", "lower_better"]
ItemKind = Literal["number", "choice", "branch"]
DIRECTIONS: tuple[str, ...] = ("higher_better", "lower_better")
ITEM_KINDS: tuple[str, ...] = ("number", "choice", "branch")
GROUPS: tuple[str, ...] = ("function", "pain")
# A measure's source is an entry of the shared reference list.
Source = Reference


class DefinitionError(shared.KnowledgeError):
    """``measures.toml`` is inconsistent; ``problems`` lists every problem found."""

    what = "outcome measures"


class UnknownMeasureError(LookupError):
    """No measure has that code."""


@dataclass(frozen=True)
class Option:
    """One answer to a choice item (scored ``points``) or a branch item (chosen by ``value``)."""

    label: str
    points: int | None = None
    value: str | None = None


@dataclass(frozen=True)
class Condition:
    """The item applies only when branch item ``item`` was answered ``equals``."""

    item: str
    equals: str


@dataclass(frozen=True)
class Item:
    code: str
    label: str
    kind: ItemKind
    minimum: int | None = None  # number items
    maximum: int | None = None
    options: tuple[Option, ...] = ()  # choice and branch items
    when: Condition | None = None
    source: tuple[str, ...] = ()

    @property
    def allowed_points(self) -> tuple[int, ...]:
        return tuple(o.points for o in self.options if o.points is not None)

    @property
    def allowed_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options if o.value is not None)

    @property
    def max_points(self) -> int:
        if self.kind == "number":
            return self.maximum or 0
        return max(self.allowed_points, default=0)

    @property
    def min_points(self) -> int:
        if self.kind == "number":
            return self.minimum or 0
        return min(self.allowed_points, default=0)


@dataclass(frozen=True)
class Measure:
    code: str
    name: str
    short_name: str
    group: str
    instructions: str
    about: str
    minimum: int
    maximum: int
    direction: Direction
    interpretation: str
    interpretation_source: tuple[str, ...]
    mcid: int | None
    mcid_source: tuple[str, ...]
    mcid_note: str
    mcid_summary: str  # one sentence shown with each change when there is no MCID
    item_wording: str  # "verified" | "not_verified" | "project"
    items: tuple[Item, ...]
    source: tuple[str, ...]
    # A change of at least this percent of the earlier score also counts (pain: Farrar 2001).
    mcid_percent: int | None = None

    def item(self, code: str) -> Item:
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_better"


@dataclass(frozen=True, eq=False)
class Definitions:
    version: str
    measures: Mapping[str, Measure]
    sources: Mapping[str, Source]


def _options(check: Checker, where: str, raw: Any) -> tuple[Option, ...]:
    options = []
    for index, o in enumerate(raw if isinstance(raw, list) else [], start=1):
        at = f"{where}[{index}]"
        options.append(
            Option(label=check.text(at, o, "label"), points=o.get("points"), value=o.get("value"))
        )
    return tuple(options)


def _item(
    check: Checker, where: str, raw: Mapping[str, Any], option_sets: dict[str, tuple[Option, ...]]
) -> Item:
    code = raw.get("code", "?")
    at = f"{where}.item.{code}"
    when = check.table(f"{at}.when", raw.get("when", {}))
    options = _options(check, f"{at}.options", raw.get("options", []))
    if "option_set" in raw:
        check.need(raw["option_set"] in option_sets, f"{at}.option_set: no such option set")
        options = option_sets.get(raw["option_set"], ())
    return Item(
        code=code,
        label=check.text(at, raw, "label"),
        kind=raw.get("kind", ""),
        minimum=raw.get("min"),
        maximum=raw.get("max"),
        options=options,
        when=Condition(item=when.get("item", ""), equals=when.get("equals", "")) if when else None,
        source=tuple(raw.get("source", ())),
    )


def _measure(check: Checker, where: str, raw: Mapping[str, Any]) -> Measure:
    option_sets = {
        s.get("code", "?"): _options(check, f"{where}.option_set.{s.get('code')}", s.get("options"))
        for s in raw.get("option_set", [])
    }
    minimum = check.integer(where, raw, "minimum", -1000, 1000)
    maximum = check.integer(where, raw, "maximum", -1000, 1000)
    check.need(None not in (minimum, maximum), f"{where}: needs minimum and maximum")
    return Measure(
        code=raw.get("code", "?"),
        name=check.text(where, raw, "name"),
        short_name=check.text(where, raw, "short_name"),
        group=raw.get("group", ""),
        instructions=raw.get("instructions", ""),
        about=raw.get("about", ""),
        minimum=minimum or 0,
        maximum=maximum or 0,
        direction=raw.get("direction", ""),
        interpretation=check.text(where, raw, "interpretation"),
        interpretation_source=tuple(raw.get("interpretation_source", ())),
        mcid=raw.get("mcid"),
        mcid_source=tuple(raw.get("mcid_source", ())),
        mcid_note=raw.get("mcid_note", ""),
        mcid_summary=raw.get("mcid_summary", ""),
        mcid_percent=raw.get("mcid_percent"),
        item_wording=raw.get("item_wording", "verified"),
        items=tuple(_item(check, where, i, option_sets) for i in raw.get("item", [])),
        source=tuple(raw.get("source", ())),
    )


def score_range(measure: Measure) -> tuple[int, int]:
    """The lowest and highest total the items can give, taking the best and worst branch."""
    low = high = 0
    branches: dict[str, dict[str, tuple[int, int]]] = {}
    for item in measure.items:
        if item.kind == "branch":
            branches[item.code] = dict.fromkeys(item.allowed_values, (0, 0))
    for item in measure.items:
        if item.kind == "branch":
            continue
        if item.when is None:
            low += item.min_points
            high += item.max_points
        elif item.when.item in branches and item.when.equals in branches[item.when.item]:
            lo, hi = branches[item.when.item][item.when.equals]
            branches[item.when.item][item.when.equals] = (
                lo + item.min_points,
                hi + item.max_points,
            )
    for sums in branches.values():
        if sums:
            low += min(lo for lo, _ in sums.values())
            high += max(hi for _, hi in sums.values())
    return low, high


def _check(check: Checker, measures: list[Measure]) -> None:
    problems = check.problems
    codes = [m.code for m in measures]
    for code in {c for c in codes if codes.count(c) > 1}:
        problems.append(f"measures.toml: measure.{code}: code used twice")
    for m in measures:
        where = f"measures.toml: measure.{m.code}"
        if m.direction not in DIRECTIONS:
            problems.append(f"{where}: direction {m.direction!r} is not one of {DIRECTIONS}")
        if m.group not in GROUPS:
            problems.append(f"{where}: group {m.group!r} is not one of {GROUPS}")
        if not m.items:
            problems.append(f"{where}: no items")
        if m.mcid is None and not (m.mcid_note and m.mcid_summary):
            problems.append(f"{where}: no mcid, and no mcid_note and mcid_summary saying why")
        if m.mcid is not None and not m.mcid_source:
            problems.append(f"{where}: mcid {m.mcid} has no mcid_source")
        if m.mcid_percent is not None and (m.mcid is None or not 0 < m.mcid_percent <= 100):
            problems.append(f"{where}: mcid_percent needs an mcid and must be 1-100")
        item_codes = [i.code for i in m.items]
        for code in {c for c in item_codes if item_codes.count(c) > 1}:
            problems.append(f"{where}: item {code} used twice")
        branches = {i.code: i for i in m.items if i.kind == "branch"}
        for item in m.items:
            at = f"{where}.item.{item.code}"
            if item.kind not in ITEM_KINDS:
                problems.append(f"{at}: kind {item.kind!r} is not one of {ITEM_KINDS}")
            elif item.kind == "number":
                if item.minimum is None or item.maximum is None or item.minimum >= item.maximum:
                    problems.append(f"{at}: a number item needs min < max")
            elif item.kind == "choice":
                if not item.options or len(item.allowed_points) != len(item.options):
                    problems.append(f"{at}: a choice item needs options, each with points")
                elif len(set(item.allowed_points)) != len(item.allowed_points):
                    problems.append(f"{at}: two options score the same points")
            elif item.kind == "branch":
                if not item.options or len(item.allowed_values) != len(item.options):
                    problems.append(f"{at}: a branch item needs options, each with a value")
                if item.when is not None:
                    problems.append(f"{at}: a branch item cannot itself depend on a branch")
            if item.when is not None:
                branch = branches.get(item.when.item)
                if branch is None:
                    problems.append(f"{at}: when names {item.when.item}, not a branch item")
                elif item.when.equals not in branch.allowed_values:
                    problems.append(
                        f"{at}: when {item.when.item} equals {item.when.equals!r}, "
                        f"not one of {branch.allowed_values}"
                    )
            for key in item.source:
                check.source(f"{at}.source", key)
        for code, branch in branches.items():
            for value in branch.allowed_values:
                if not any(i.when == Condition(code, value) for i in m.items):
                    problems.append(f"{where}: branch {code} = {value!r} leads to no item")
        if (m.minimum, m.maximum) != score_range(m):
            problems.append(
                f"{where}: declared range {m.minimum}-{m.maximum} but the items score "
                "{}-{}".format(*score_range(m))
            )
        for name in ("source", "mcid_source", "interpretation_source"):
            for key in getattr(m, name):
                check.source(f"{where}.{name}", key)
        try:
            m.interpretation.format(total=0, maximum=m.maximum, minimum=m.minimum)
        except (KeyError, IndexError, ValueError) as error:
            problems.append(f"{where}: interpretation template is broken ({error})")


def load_measures(
    path: Path = MEASURES_FILE, references: Path = shared.REFERENCES_PATH
) -> Definitions:
    check = Checker()
    raw = check.read(path)
    check.cite_texts(path.name, raw, free_text_sources=False)
    measures = [
        _measure(check, f"{path.name}: measure.{m.get('code', '?')}", m)
        for m in raw.get("measure", [])
    ]
    _check(check, measures)
    version = raw.get("meta", {}).get("version")
    check.need(isinstance(version, int), f"{path.name}: meta.version: must be a whole number")
    # Only the measures file makes the version: citations may be corrected without re-scoring.
    digest = check.digest()
    sources = shared.read_references(check, references)
    check.check_references(sources)
    check.done(DefinitionError)
    return Definitions(
        version=f"{version}+{digest}",
        measures=MappingProxyType({m.code: m for m in measures}),
        sources=sources,
    )


@cache
def definitions() -> Definitions:
    return load_measures()


def measures() -> tuple[Measure, ...]:
    return tuple(definitions().measures.values())


def measure(code: str) -> Measure:
    try:
        return definitions().measures[code]
    except KeyError:
        raise UnknownMeasureError(code) from None


def measures_version() -> str:
    """e.g. ``1+3fa2c9e1b0``: the file's version plus a hash of its content."""
    return definitions().version


def source(key: str) -> Source:
    return definitions().sources[key]
