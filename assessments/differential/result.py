"""The differential's output as frozen dataclasses: every number carries its reasons.

Why frozen dataclasses: the ranking is a value that the web page, the command, the PDF and
the tests read; nobody downstream should be able to change a probability or drop a reason.
Field names follow the contract; ``for`` is a Python keyword, so it is ``for_`` here and
``"for"`` in :func:`assessments.differential.contract.ranking_to_contract`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Contribution:
    """One finding that moved one cause: ``weight`` is the natural-log likelihood ratio.

    Positive weights raise the cause (LR > 1), negative weights lower it (LR < 1).
    """

    field: str
    value: Any
    weight: float
    source: str


@dataclass(frozen=True)
class CauseResult:
    code: str
    name: str
    probability: float
    for_: tuple[Contribution, ...]
    against: tuple[Contribution, ...]


@dataclass(frozen=True)
class RedFlag:
    code: str
    urgency: str  # emergency | urgent
    because: tuple[str, ...]
    action: str
    source: str


@dataclass(frozen=True)
class RunAdvice:
    advice: str  # stop_and_seek_care | stop | continue | modify
    because: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class SeeProfessional:
    needed: bool
    because: tuple[str, ...]


@dataclass(frozen=True)
class NextTest:
    """An untested examination finding and how much its result is expected to move the leaders.

    ``expected_change`` is the expected sum of absolute probability changes of the leading
    (top three) causes over the test's possible results.
    """

    field: str
    separates: tuple[str, ...]
    expected_change: float


@dataclass(frozen=True)
class ExpectedRecovery:
    cause: str
    typical: str
    source: str


@dataclass(frozen=True)
class Ranking:
    causes: tuple[CauseResult, ...]
    red_flags: tuple[RedFlag, ...]
    run_advice: RunAdvice
    see_professional: SeeProfessional
    next_best_tests: tuple[NextTest, ...]
    expected_recovery: ExpectedRecovery
    knowledge_version: str

    @property
    def leading(self) -> CauseResult:
        return self.causes[0]

    def probability(self, code: str) -> float:
        return next(c.probability for c in self.causes if c.code == code)
