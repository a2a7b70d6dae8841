"""The findings vocabulary (``findings.json``) as typed Python objects, with input validation.

Plain Python, no Django: the model, the form, the differential and the ``rank_causes``
command all read the vocabulary from here, so a field is defined once. The JSON file is
the project's own copy of the shared clinical vocabulary (version recorded in ``VERSION``).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

FINDINGS_PATH = Path(__file__).with_name("findings.json")

RESULT_VALUES = ("positive", "negative")


RESULT_LABELS = {"positive": "Positive", "negative": "Negative"}


@dataclass(frozen=True)
class FindingField:
    """One question; ``question`` is as asked on screen (``asked_as`` when the contract's
    question spells out codes), ``labels`` the words shown for each value."""

    name: str
    type: str  # boolean | integer | number | enum | set | result
    question: str
    section: str
    values: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def allowed_values(self) -> tuple[str, ...]:
        return RESULT_VALUES if self.type == "result" else self.values

    def label(self, value: str) -> str:
        """A value in the clinic's words (the code itself only if the file has no label)."""
        if self.type == "result":
            return RESULT_LABELS.get(value, value)
        return dict(self.labels).get(value, value)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(value, self.label(value)) for value in self.allowed_values]

    def words(self, value: Any) -> str:
        """A recorded answer as a person reads it; None is "not asked" (or "not tested")."""
        if value is None:
            return "Not tested" if self.type == "result" else "Not asked"
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if self.type == "set":
            value = [value] if isinstance(value, str) else value
            return ", ".join(self.label(v) for v in value) if value else "None of these"
        if self.type in ("enum", "result"):
            return self.label(value)
        if self.name.endswith("_km"):  # a distance, stored in km (clinic.units says it in miles)
            return f"{value:g} km"
        return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Section:
    code: str
    title: str
    fields: tuple[FindingField, ...]


@dataclass(frozen=True)
class Cause:
    code: str
    name: str


@dataclass(frozen=True)
class Vocabulary:
    """The findings vocabulary; the derived lookups are built once, as every ranking uses them.

    The cached lookups are shared: read them, never modify them.
    """

    version: int
    sections: tuple[Section, ...]
    causes: tuple[Cause, ...]

    @cached_property
    def fields(self) -> tuple[FindingField, ...]:
        return tuple(f for s in self.sections for f in s.fields)

    def field(self, name: str) -> FindingField:
        return self.fields_by_name[name]

    @cached_property
    def fields_by_name(self) -> dict[str, FindingField]:
        return {f.name: f for f in self.fields}

    @cached_property
    def cause_codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.causes)

    def cause_name(self, code: str) -> str:
        return self._cause_names[code]

    @cached_property
    def _cause_names(self) -> dict[str, str]:
        return {c.code: c.name for c in self.causes}

    def in_words(self, code: str) -> str:
        """A field name or cause code as a person reads it: its question, or the cause's name."""
        field = self.fields_by_name.get(code)
        if field is not None:
            return field.question
        return self._cause_names.get(code, code.replace("_", " "))


@cache
def load_vocabulary(path: Path = FINDINGS_PATH) -> Vocabulary:
    raw = json.loads(path.read_text(encoding="utf-8"))
    sections = tuple(
        Section(
            code=s["section"],
            title=s["title"],
            fields=tuple(
                FindingField(
                    name=f["name"],
                    type=f["type"],
                    question=f.get("asked_as", f["question"]),
                    section=s["section"],
                    values=tuple(f.get("values", ())),
                    min=f.get("min"),
                    max=f.get("max"),
                    labels=tuple(f.get("labels", {}).items()),
                )
                for f in s["fields"]
            ),
        )
        for s in raw["sections"]
    )
    causes = tuple(Cause(code=c["code"], name=c["name"]) for c in raw["causes"])
    return Vocabulary(version=raw["version"], sections=sections, causes=causes)


class FindingsError(ValueError):
    """Invalid findings; ``errors`` maps each bad field name to a plain-words message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


def _check_value(field: FindingField, value: Any) -> str | None:
    """Return a message when ``value`` is not allowed for ``field``; None when it is."""
    kind = field.type
    if kind == "boolean":
        return None if isinstance(value, bool) else "must be true or false"
    if kind in ("integer", "number"):
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if not is_number or (isinstance(value, float) and not math.isfinite(value)):
            return f"must be a {'whole ' if kind == 'integer' else ''}number"
        if kind == "integer" and isinstance(value, float) and not value.is_integer():
            return "must be a whole number"
        if (field.min is not None and value < field.min) or (
            field.max is not None and value > field.max
        ):
            return f"must be between {field.min:g} and {field.max:g}"
        return None
    if kind in ("enum", "result"):
        if isinstance(value, str) and value in field.allowed_values:
            return None
        return f"must be one of {', '.join(field.allowed_values)}"
    if kind == "set":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"must be a list of: {', '.join(field.values)}"
        unknown = [v for v in value if v not in field.values]
        if unknown:
            return f"unknown value {unknown[0]!r}; allowed: {', '.join(field.values)}"
        if len(set(value)) != len(value):
            return "must not repeat a value"
        return None
    raise AssertionError(f"unknown field type {kind!r} in findings.json")


def validate_findings(findings: Any, vocabulary: Vocabulary | None = None) -> dict[str, Any]:
    """Check a findings mapping against the vocabulary.

    Returns the findings without the absent / null ("not asked") entries. Raises
    FindingsError naming every unknown field, wrong type and out-of-range value.
    """
    vocabulary = vocabulary or load_vocabulary()
    if not isinstance(findings, dict):
        raise FindingsError({"findings": "must be an object of field names to values"})
    by_name = vocabulary.fields_by_name
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for name, value in findings.items():
        field = by_name.get(name)
        if field is None:
            errors[str(name)] = "unknown field (not in the findings vocabulary)"
            continue
        if value is None:
            continue
        message = _check_value(field, value)
        if message:
            errors[name] = message
        else:
            clean[name] = int(value) if field.type == "integer" else value
    if errors:
        raise FindingsError(errors)
    return clean
