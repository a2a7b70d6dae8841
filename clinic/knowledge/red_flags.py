"""The red-flag registry (``red_flags.toml``): one entry per code the differential raises.

The differential's rules say when a flag is raised; this registry says what then: urgency, the
physio's action, the runner's instruction and the signs the runner watches for. Every reader
(the differential, the assessment panel, the plan refusal, the printed plan, the runner's page)
takes these from here, so no two places can disagree on a code's urgency or words.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .loader import REFERENCES_PATH, Checker, read_references

RED_FLAGS_PATH = Path(__file__).with_name("red_flags.toml")
# The contract's urgencies, most urgent first.
URGENCIES = ("emergency", "urgent")
# A referral letter's urgencies, most urgent first (issue 11: the refer-first hand-over).
REFERRAL_URGENCIES = ("emergency", "same_day", "soon")


@dataclass(frozen=True)
class RedFlagSign:
    """A sign the runner watches for, and words that show a protocol line already says it."""

    text: str
    matches: tuple[str, ...]


@dataclass(frozen=True)
class Referral:
    """What the refer-first hand-over prints for a flag: the letter's urgency and question,
    what the runner avoids until seen, and which emergency flags' signs they also watch for."""

    urgency: str  # one of REFERRAL_URGENCIES
    question: str
    avoid: tuple[str, ...]
    watch_for: tuple[str, ...]  # emergency codes
    diagnoses: tuple[str, ...]  # refer-first working diagnoses this entry speaks for
    source: tuple[str, ...]


@dataclass(frozen=True)
class ReferralTexts:
    """The hand-over's common words: the runner's stop line and sign headings, and the
    letter's wording of each urgency."""

    stop: str
    emergency: str
    same_day: str
    urgency: Mapping[str, str]
    source: tuple[str, ...]


@dataclass(frozen=True)
class RedFlagInfo:
    code: str
    name: str
    urgency: str  # one of URGENCIES
    action: str  # the physio's words
    runner: str  # what the runner is told to do
    signs: tuple[RedFlagSign, ...]
    source: tuple[str, ...]
    referral: Referral

    @property
    def is_emergency(self) -> bool:
        return self.urgency == "emergency"


@dataclass(frozen=True)
class RedFlagRegistry:
    flags: Mapping[str, RedFlagInfo]
    unknown: RedFlagInfo  # for a code not in the registry (e.g. a record from older knowledge)
    version: int
    referral: ReferralTexts

    def get(self, code: str) -> RedFlagInfo:
        """The entry for ``code``; an unlisted code gets the generic urgent entry, never none."""
        return self.flags.get(code) or replace(self.unknown, code=code)

    def is_known(self, code: str) -> bool:
        return code in self.flags

    def for_diagnosis(self, diagnosis: str) -> RedFlagInfo | None:
        """The entry whose referral speaks for a refer-first working diagnosis, if any."""
        return next((f for f in self.flags.values() if diagnosis in f.referral.diagnoses), None)


def _optional_texts(check: Checker, where: str, table: Mapping[str, Any], key: str):
    return check.texts(where, table, key) if key in table else ()


def _referral(check: Checker, where: str, raw: Mapping[str, Any]) -> Referral:
    where = f"{where}.referral"
    table = check.table(where, raw.get("referral"))
    check.one_of(f"{where}.urgency", table.get("urgency"), REFERRAL_URGENCIES)
    return Referral(
        urgency=str(table.get("urgency", "soon")),
        question=check.text(where, table, "question"),
        avoid=check.texts(where, table, "avoid"),
        watch_for=_optional_texts(check, where, table, "watch_for"),
        diagnoses=_optional_texts(check, where, table, "diagnoses"),
        source=check.sources(where, table),
    )


def _referral_texts(check: Checker, name: str, raw: Mapping[str, Any]) -> ReferralTexts:
    where = f"{name}: referral"
    table = check.table(where, raw.get("referral"))
    urgency = check.table(f"{where}.urgency", table.get("urgency"))
    words = {u: check.text(f"{where}.urgency", urgency, u) for u in REFERRAL_URGENCIES}
    return ReferralTexts(
        stop=check.text(where, table, "stop"),
        emergency=check.text(where, table, "emergency"),
        same_day=check.text(where, table, "same_day"),
        urgency=MappingProxyType(words),
        source=check.sources(where, table),
    )


def _entry(check: Checker, where: str, raw: Mapping[str, Any], code: str) -> RedFlagInfo:
    check.one_of(f"{where}.urgency", raw.get("urgency"), URGENCIES)
    signs = []
    raw_signs = raw.get("signs", [])
    if check.need(isinstance(raw_signs, list), f"{where}.signs: must be a list of tables"):
        for index, sign in enumerate(raw_signs, start=1):
            table = check.table(f"{where}.signs[{index}]", sign)
            signs.append(
                RedFlagSign(
                    text=check.text(f"{where}.signs[{index}]", table, "text"),
                    matches=check.texts(f"{where}.signs[{index}]", table, "matches"),
                )
            )
    return RedFlagInfo(
        code=code,
        name=check.text(where, raw, "name"),
        urgency=str(raw.get("urgency", "urgent")),
        action=check.text(where, raw, "action"),
        runner=check.text(where, raw, "runner"),
        signs=tuple(signs),
        source=check.sources(where, raw),
        referral=_referral(check, where, raw),
    )


def read_red_flags(check: Checker, path: Path = RED_FLAGS_PATH) -> RedFlagRegistry:
    """The registry, read through ``check`` (so its problems and hash count in the caller's)."""
    raw = check.read(path)
    name = path.name
    version = raw.get("meta", {}).get("version")
    check.need(isinstance(version, int), f"{name}: meta.version: must be a whole number")
    flags: dict[str, RedFlagInfo] = {}
    for index, entry in enumerate(raw.get("flag", []), start=1):
        table = check.table(f"{name}: flag[{index}]", entry)
        code = check.text(f"{name}: flag[{index}]", table, "code")
        where = f"{name}: flag.{code or index}"
        check.need(code not in flags, f"{where}: duplicate red flag")
        flags[code] = _entry(check, where, table, code)
    check.need(bool(flags), f"{name}: flag: needs at least one red flag")
    for code, info in flags.items():
        for other in info.referral.watch_for:
            # An urgency that is itself wrong is reported once, at its own key.
            check.need(
                other in flags
                and (flags[other].is_emergency or flags[other].urgency not in URGENCIES),
                f"{name}: flag.{code}.referral.watch_for: {other!r} is not an emergency red flag",
            )
    unknown = _entry(
        check, f"{name}: unknown", check.table(f"{name}: unknown", raw.get("unknown")), ""
    )
    check.cite_texts(name, raw, free_text_sources=False)
    return RedFlagRegistry(
        flags=MappingProxyType(flags),
        unknown=unknown,
        version=version if isinstance(version, int) else 0,
        referral=_referral_texts(check, name, raw),
    )


def load_red_flags(
    path: Path = RED_FLAGS_PATH, references: Path = REFERENCES_PATH
) -> RedFlagRegistry:
    """Read and check the registry on its own; raise KnowledgeError listing every problem."""
    check = Checker()
    registry = read_red_flags(check, path)
    check.check_references(read_references(check, references))
    check.done()
    return registry


@cache
def red_flags() -> RedFlagRegistry:
    """The repository's registry, checked and cached."""
    return load_red_flags()
