"""A tiny, readable condition language for the rules in ``knowledge.toml``.

Why a language at all: a clinician reviewing the knowledge file should read
``"onset = sudden_stretch and felt_pop"`` rather than nested tables. Each condition is
one conjunction of clauses joined by ``and``; a rule that lists several conditions
fires when any of them holds.

The one rule that matters clinically: a clause about a field that is absent (not asked,
not tested) is never true -- not even ``!=``, ``not in`` or ``lacks``. Absent is not
negative. A safety rule that must not be switched off by a blank answer says so, clause by
clause, with ``(clause or missing)``: then an absent field makes that clause true.

Clause forms (``field`` must be in the findings vocabulary and values must be allowed):

* ``field``                    boolean recorded true
* ``not field``                boolean recorded false
* ``field = value``            enum / result equals; ``field != value`` differs
* ``field in (a, b)``          enum / result is one of; ``field not in (a, b)``
* ``field has value``          set contains value
* ``field has_any (a, b)``     set contains at least one
* ``field lacks value``        set recorded and does not contain value
* ``field lacks_all (a, b)``   set recorded and contains none of them
* ``field is_empty``           set recorded as empty ("asked, none")
* ``field confined_to (a, b)`` set recorded, not empty, and every member is one of them;
  ``field not confined_to (a, b)``: recorded and empty or with a member outside them
  (written this way, a value added to the vocabulary later counts as outside)
* ``field >= n`` (also ``>``, ``<=``, ``<``)   number or integer compared with n
* ``(any clause above or missing)``  also true when the field is absent
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from assessments.vocabulary import Vocabulary

_NUMERIC_OPS = (">=", "<=", ">", "<")
_CLAUSE = re.compile(
    r"""^\s*(?:
        (?P<neg>not)\s+(?P<negfield>\w+)
      | (?P<field>\w+)\s*(?:
            (?P<cmp>>=|<=|>|<|!=|=)\s*(?P<cmpval>[\w.\-]+)
          | \s(?P<listop>in|not\s+in|has_any|lacks_all|confined_to|not\s+confined_to)
            \s*\((?P<items>[^)]*)\)
          | \s(?P<memberop>has|lacks)\s+(?P<member>\w+)
          | \s(?P<empty>is_empty)
        )?
    )\s*$""",
    re.VERBOSE,
)
_OR_MISSING = re.compile(r"^\s*\((?P<inner>.*)\s+or\s+missing\s*\)\s*$")


# operator -> test of a recorded (never None) value against the clause's operand
_TESTS: dict[str, Callable[[Any, Any], bool]] = {
    "true": lambda value, _: value is True,
    "false": lambda value, _: value is False,
    "eq": operator.eq,
    "ne": operator.ne,
    "in": lambda value, operand: value in operand,
    "not_in": lambda value, operand: value not in operand,
    "has": operator.contains,
    "has_any": lambda value, operand: any(item in value for item in operand),
    "lacks_all": lambda value, operand: not any(item in value for item in operand),
    "empty": lambda value, _: len(value) == 0,
    "confined_to": lambda value, operand: bool(value) and all(item in operand for item in value),
    "not_confined_to": lambda value, operand: not value or any(i not in operand for i in value),
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


class ConditionError(ValueError):
    """A condition in the knowledge file does not parse or does not fit the vocabulary."""


@dataclass(frozen=True)
class Clause:
    """One test on one field; ``op`` is a normalised operator name."""

    field: str
    op: str  # true | false | eq | ne | in | not_in | has | has_any | lacks_all | empty | >= ...
    operand: Any = None
    missing_counts: bool = False  # written ``(... or missing)``: an absent field makes it true

    def holds(self, findings: Mapping[str, Any]) -> bool:
        """True when the recorded value satisfies the clause; for an absent field, only when
        the clause says ``or missing``."""
        value = findings.get(self.field)
        if value is None:
            return self.missing_counts
        return _TESTS[self.op](value, self.operand)

    def shown_value(self, findings: Mapping[str, Any]) -> Any:
        """The value to show in an explanation: the set member named, else the recorded value."""
        if self.op == "has":
            return self.operand
        value = findings.get(self.field)
        return list(value) if isinstance(value, list | tuple) else value


@dataclass(frozen=True)
class Condition:
    """A conjunction of clauses, kept with its source text for explanations and reports."""

    text: str
    clauses: tuple[Clause, ...]

    def holds(self, findings: Mapping[str, Any]) -> bool:
        for clause in self.clauses:  # noqa: SIM110 - faster than all(); runs for every rule
            if not clause.holds(findings):
                return False
        return True

    @property
    def fields(self) -> tuple[str, ...]:
        """Fields named, in order, without repeats."""
        return tuple(dict.fromkeys(clause.field for clause in self.clauses))


def _split_items(text: str) -> tuple[str, ...]:
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    if not items:
        raise ConditionError("an empty list of values")
    return items


def _parse_clause(text: str, vocabulary: Vocabulary) -> Clause:
    or_missing = _OR_MISSING.match(text)
    if or_missing:
        return replace(_parse_clause(or_missing.group("inner"), vocabulary), missing_counts=True)
    match = _CLAUSE.match(text)
    if not match:
        raise ConditionError(f"cannot read clause {text!r}")
    fields = vocabulary.fields_by_name
    name = match.group("negfield") or match.group("field")
    if name not in fields:
        raise ConditionError(f"unknown field {name!r} in {text!r}")
    field = fields[name]
    kind = field.type

    def need(types: tuple[str, ...]) -> None:
        if kind not in types:
            raise ConditionError(f"{text!r}: operator does not apply to a {kind} field")

    def check_value(value: str) -> str:
        if value not in field.allowed_values:
            raise ConditionError(f"{text!r}: {value!r} is not a value of {name}")
        return value

    if match.group("neg"):
        need(("boolean",))
        return Clause(name, "false")
    if match.group("cmp"):
        op, raw = match.group("cmp"), match.group("cmpval")
        if op in _NUMERIC_OPS:
            need(("integer", "number"))
            try:
                return Clause(name, op, float(raw))
            except ValueError as exc:
                raise ConditionError(f"{text!r}: {raw!r} is not a number") from exc
        need(("enum", "result"))
        return Clause(name, "eq" if op == "=" else "ne", check_value(raw))
    if match.group("listop"):
        op = re.sub(r"\s+", "_", match.group("listop"))
        items = _split_items(match.group("items"))
        need(("enum", "result") if op in ("in", "not_in") else ("set",))
        return Clause(name, op, tuple(check_value(item) for item in items))
    if match.group("memberop"):
        need(("set",))
        member = check_value(match.group("member"))
        if match.group("memberop") == "has":
            return Clause(name, "has", member)
        return Clause(name, "lacks_all", (member,))
    if match.group("empty"):
        need(("set",))
        return Clause(name, "empty")
    need(("boolean",))
    return Clause(name, "true")


def parse_condition(text: str, vocabulary: Vocabulary) -> Condition:
    """Parse ``"a and b and c"``; raises ConditionError naming the bad part."""
    parts = re.split(r"\s+and\s+", text.strip())
    if not parts or not all(parts):
        raise ConditionError(f"empty condition {text!r}")
    return Condition(text=text.strip(), clauses=tuple(_parse_clause(p, vocabulary) for p in parts))
