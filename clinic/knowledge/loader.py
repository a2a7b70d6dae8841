"""Read clinical knowledge files and check them, listing every problem at once.

Every knowledge file (the differential's weights, the rehab ladders and protocols, the outcome
measures, the patient texts) is TOML reviewed by clinicians. A reviewer fixing a file wants all
of its problems in one go, each named by file and key, e.g. ``protocols.toml:
protocol.lumbar_referred_pain.phase[2].exercise[1].step: no such ladder step 'x'``.
So the loaders share one ``Checker`` that collects problems instead of stopping at the first,
and one reference list (``references.toml``) that every cited source must resolve in.

Plain Python, no Django: both the assessments and the rehab engines import it.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

REFERENCES_PATH = Path(__file__).with_name("references.toml")
# A source that is the project's own estimate or general clinical knowledge, with its reason.
MARKED_PREFIXES = ("EST:", "GK:")
# Free-text citations: "[Key]" or "[Key1; Key2, detail]", "evidence §4.8", "Seed", "Contract".
_BRACKETS = re.compile(r"\[([^\[\]]+)\]")
_SECTION = re.compile(r"§\s*(\d+(?:\.\d+)*)")
_DOCUMENTS = re.compile(r"\b(Seed|Contract)\b")


class KnowledgeError(ValueError):
    """A knowledge file is inconsistent; ``problems`` lists every problem found."""

    what = "clinical knowledge"

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__(f"invalid {self.what}:\n  - " + "\n  - ".join(self.problems))


@dataclass(frozen=True)
class Reference:
    """One entry of the reference list: what was read, and where when it is on the web."""

    key: str
    citation: str
    url: str | None


def cited_keys(text: str) -> tuple[str, ...]:
    """The reference keys a free text cites, in order.

    ``[Lesher2008, mean age 61]`` cites ``Lesher2008``; ``evidence §4.5, §10`` cites
    ``evidence §4.5`` and ``evidence §10``; ``Seed`` and ``Contract`` cite the project's seed
    article and the differential's contract. ``GK`` and ``EST`` inside brackets are marks, not
    keys.
    """
    keys: list[str] = []
    for group in _BRACKETS.findall(text):
        for part in group.split(";"):
            head = part.split(",")[0].strip()
            if "§" not in part and head and not head.startswith(("GK", "EST")):
                keys.append(head)
    keys += [f"evidence §{number}" for number in _SECTION.findall(text)]
    keys += [word.lower() for word in _DOCUMENTS.findall(text)]
    return tuple(dict.fromkeys(keys))


def source_keys(text: str) -> tuple[str, ...]:
    """The reference keys a free-text source cites, its leading keys included.

    ``Cacchio2012 (LR+ 10.2 pub)`` and ``physiorunner; Bylund2010`` name their keys before any
    detail; ``EST: reason`` and ``GK: reason`` name none there, only in what they cite.
    """
    keys: list[str] = []
    if not text.startswith(("EST", "GK")):
        head = re.split(r"[(\[]", text, maxsplit=1)[0]
        for part in head.split(";"):
            part = part.strip()
            if part and "§" not in part and not part.startswith(("GK", "EST")):
                keys.append(part.lower() if _DOCUMENTS.fullmatch(part) else part)
    return tuple(dict.fromkeys([*keys, *cited_keys(text)]))


def _texts_in(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every text in a file's tables with its key, e.g. ``weight[3].lr.hamstring_strain.source``."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _texts_in(item, f"{key}.{name}" if key else name)
    elif isinstance(value, list):
        for index, item in enumerate(value, start=1):
            yield from _texts_in(item, f"{key}[{index}]")


class Checker:
    """Collects every problem of a set of knowledge files, and what they cite.

    ``where`` arguments name a file and a key, e.g. ``ladders.toml: ladder.rdl.step[2]``.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []
        self._cited: list[tuple[str, str]] = []  # (where, reference key)
        self._digest = hashlib.sha256()

    # --- Files ---------------------------------------------------------------------------------

    def read(self, path: Path) -> dict[str, Any]:
        """The file's tables; a missing file or bad TOML is a problem, read as empty."""
        try:
            content = path.read_bytes()
            data = tomllib.loads(content.decode("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
            self.problems.append(f"{path.name}: cannot be read ({error})")
            return {}
        self._digest.update(path.name.encode() + b"\0" + content + b"\0")
        return data

    def digest(self) -> str:
        """The first ten hex digits of a hash over every file read, for knowledge versions."""
        return self._digest.hexdigest()[:10]

    # --- Values --------------------------------------------------------------------------------

    def need(self, condition: bool, message: str) -> bool:
        if not condition:
            self.problems.append(message)
        return condition

    def text(self, where: str, table: Mapping[str, Any], key: str) -> str:
        value = table.get(key)
        ok = isinstance(value, str) and value.strip() != ""
        self.need(ok, f"{where}.{key}: must be a text")
        return value if isinstance(value, str) else ""

    def texts(self, where: str, table: Mapping[str, Any], key: str) -> tuple[str, ...]:
        value = table.get(key)
        ok = (
            isinstance(value, list)
            and len(value) > 0
            and all(isinstance(v, str) and v.strip() for v in value)
        )
        self.need(ok, f"{where}.{key}: must be a non-empty list of texts")
        return tuple(cast(list[str], value)) if ok else ()

    def integer(
        self, where: str, table: Mapping[str, Any], key: str, lo: int, hi: int
    ) -> int | None:
        """A whole number from lo to hi, or None when the key is absent (or wrong: a problem)."""
        value = table.get(key)
        if value is None:
            return None
        ok = isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi
        self.need(ok, f"{where}.{key}: must be a whole number from {lo} to {hi}")
        return value if ok else None

    def integers(self, where: str, value: Any, length: int) -> tuple[int, ...] | None:
        ok = (
            isinstance(value, list)
            and len(value) == length
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        )
        self.need(ok, f"{where}: must be a list of {length} whole numbers")
        return tuple(value) if ok else None

    def table(self, where: str, value: Any) -> Mapping[str, Any]:
        if not self.need(isinstance(value, dict), f"{where}: must be a table"):
            return {}
        return cast(Mapping[str, Any], value)

    def one_of(self, where: str, value: Any, allowed: Iterable[Any]) -> bool:
        allowed = tuple(allowed)
        return self.need(value in allowed, f"{where}: {value!r} is not one of {allowed}")

    # --- Sources -------------------------------------------------------------------------------

    def sources(self, where: str, table: Mapping[str, Any], key: str = "source") -> tuple[str, ...]:
        """A non-empty list of reference keys or ``EST: reason`` / ``GK: reason`` marks."""
        value = table.get(key)
        ok = (
            isinstance(value, list)
            and len(value) > 0
            and all(isinstance(v, str) and v.strip() for v in value)
        )
        if not self.need(ok, f"{where}.{key}: must be a non-empty list of sources"):
            return ()
        sources = tuple(cast(list[str], value))
        for source in sources:
            self.source(f"{where}.{key}", source)
        return sources

    def source(self, where: str, source: str) -> None:
        """One structured source: a reference key, or a marked estimate with its reason."""
        if source.startswith(MARKED_PREFIXES):
            reason = source.split(":", 1)[1].strip()
            self.need(bool(reason), f"{where}: {source!r} needs a reason after the colon")
            self.cite(where, reason)
        else:
            self._cited.append((where, source))

    def cite(self, where: str, text: str) -> None:
        """Every reference a free text cites must resolve (see ``cited_keys``)."""
        self._cited.extend((where, key) for key in cited_keys(text))

    def cite_source(self, where: str, text: str) -> None:
        """A free-text source: its leading keys and every reference it cites must resolve."""
        self._cited.extend((where, key) for key in source_keys(text))

    def cite_texts(self, name: str, raw: Mapping[str, Any], *, free_text_sources: bool) -> None:
        """Every citation in every text of file ``name`` must resolve.

        ``source`` keys hold free text in some files (the differential's) and lists of keys in
        others, which ``sources()`` checks where they are read.
        """
        for key, text in _texts_in(raw):
            if not re.sub(r"\[\d+\]$", "", key).endswith("source"):
                self.cite(f"{name}: {key}", text)
            elif free_text_sources:
                self.cite_source(f"{name}: {key}", text)

    def check_references(self, references: Mapping[str, Reference]) -> None:
        for where, key in dict.fromkeys(self._cited):
            self.need(
                key in references,
                f"{where}: source {key!r} is not in the reference list (references.toml); "
                "cite a key there, or write 'EST: reason' or 'GK: reason'",
            )

    def done(self, error: type[KnowledgeError] = KnowledgeError) -> None:
        """Raise ``error`` listing every problem, if there is any."""
        if self.problems:
            raise error(self.problems)


def read_references(check: Checker, path: Path = REFERENCES_PATH) -> Mapping[str, Reference]:
    """The reference list, read through ``check`` (so it counts in the caller's version)."""
    raw = check.read(path)
    references: dict[str, Reference] = {}
    for key, entry in check.table(f"{path.name}: reference", raw.get("reference", {})).items():
        where = f"{path.name}: reference.{key}"
        entry = check.table(where, entry)
        url = entry.get("url")
        check.need(url is None or isinstance(url, str), f"{where}.url: must be a text")
        references[key] = Reference(key, check.text(where, entry, "citation"), url)
    return MappingProxyType(references)


@cache
def references() -> Mapping[str, Reference]:
    """The repository's reference list, checked and cached."""
    check = Checker()
    entries = read_references(check)
    check.done()
    return entries
