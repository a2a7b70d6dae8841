"""propose_progression() never waits for ever on a next-morning answer (issue 13): given ``now``,
a missing answer is awaited for next_morning_wait_days after logging, then treated as unknown."""

from __future__ import annotations

import datetime as dt

import pytest

from rehab.engine import SessionLog, knowledge, propose_progression

LOGGED = dt.datetime(2025, 3, 4, 19, 0, tzinfo=dt.UTC)


def _propose(*, now, logged_at=LOGGED, morning=None):
    logs = [
        SessionLog(date=dt.date(2025, 3, 2), exercise_pain=1, next_morning="same"),
        SessionLog(
            date=dt.date(2025, 3, 4), exercise_pain=1, next_morning=morning, logged_at=logged_at
        ),
    ]
    return propose_progression(
        tissue_or_diagnosis="proximal_hamstring_tendinopathy",
        ladder="bridge",
        current_step="bridge_double",
        logs=logs,
        now=now,
        # The last phase: no ceiling hides the next-morning rule under test.
        phase=len(knowledge().protocol("proximal_hamstring_tendinopathy").phases),
    )


def test_the_wait_is_48_hours():
    assert knowledge().settings["next_morning_wait_days"] == 2


@pytest.mark.parametrize(
    ("hours", "rule"),
    [
        (0, "hold_awaiting_next_morning"),
        (47.9, "hold_awaiting_next_morning"),
        (48, "hold_next_morning_unknown"),
        (500, "hold_next_morning_unknown"),
    ],
)
def test_a_missing_answer_is_awaited_then_treated_as_unknown(hours, rule):
    proposal = _propose(now=LOGGED + dt.timedelta(hours=hours))
    assert (proposal.action, proposal.rule) == ("hold", rule)
    if rule == "hold_next_morning_unknown":
        assert (
            "next-morning answer not given within 48 hours: treated as unknown" in proposal.reason
        )


def test_without_now_or_a_logging_time_the_engine_keeps_waiting():
    late = LOGGED + dt.timedelta(days=30)
    assert _propose(now=None).rule == "hold_awaiting_next_morning"
    assert _propose(now=late, logged_at=None).rule == "hold_awaiting_next_morning"


def test_an_answer_given_in_time_decides_as_before():
    proposal = _propose(now=LOGGED + dt.timedelta(days=30), morning="better")
    assert proposal.action == "progress"
