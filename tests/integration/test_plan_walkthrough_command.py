"""``manage.py plan_walkthrough``: the engine's proposals over a sessions file, as JSON."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from rehab import engine

PHT = "proximal_hamstring_tendinopathy"
KEYS = {"date", "phase", "item", "from", "to", "decision", "rule", "reason"}


def settled(day: int) -> dict:
    """A session as the runner's page takes it: pain-free, settled, the next morning the same."""
    return {
        "session_date": (dt.date(2026, 1, 5) + dt.timedelta(days=day)).isoformat(),
        "exercise_pain": 0,
        "running_pain": 0,
        "running_pain_pattern": "steady",
        "next_morning": "same",
        "pain_travelled_down_leg": False,
        "completed": True,
        "load_used": "",
        "weekly_distance_km": 20,
        "notes": "",
    }


def walkthrough(tmp_path, diagnosis, sessions, *options) -> dict:
    path = tmp_path / "sessions.json"
    path.write_text(json.dumps(sessions), encoding="utf-8")
    out = io.StringIO()
    call_command("plan_walkthrough", diagnosis, "--sessions", str(path), *options, stdout=out)
    return json.loads(out.getvalue())


def test_walkthrough_prints_each_proposal_as_json(tmp_path):
    result = walkthrough(tmp_path, PHT, [settled(0), settled(1)])
    assert result["diagnosis"] == PHT
    assert result["knowledge_version"] == engine.knowledge_version()
    events = result["events"]
    assert all(set(event) == KEYS for event in events)
    starts = [e for e in events if e["decision"] == "start"]
    assert {e["item"] for e in starts} == {"bridge", "running"}
    per_session = [e for e in events if e["date"] == "2026-01-06"]
    assert {e["item"] for e in per_session} == {"bridge", "running"}
    assert all(e["phase"] == 1 and e["reason"] for e in per_session)


def test_eight_settled_tendinopathy_sessions_propose_no_hills_strides_or_speed(tmp_path):
    events = walkthrough(tmp_path, PHT, [settled(day) for day in range(8)])["events"]
    named = {e["to"] for e in events} | {e["from"] for e in events}
    assert not named & {"run_hills", "run_strides_speed"}
    last_running = [e for e in events if e["item"] == "running"][-1]
    assert last_running["rule"] == "hold_phase_ceiling"
    assert "comes with phase 4" in last_running["reason"]


def test_a_phase_move_in_the_file_lifts_the_ladders_and_is_printed(tmp_path):
    sessions = [
        settled(0),
        {"session_date": "2026-01-05", "advance_phase": True},
        settled(1),
        settled(2),
    ]
    events = walkthrough(tmp_path, PHT, sessions)["events"]
    move = next(e for e in events if e["item"] == "phase")
    assert (move["from"], move["to"], move["decision"]) == (1, 2, "advance")
    lifted = {e["item"]: e["to"] for e in events if e["decision"] == "phase_start"}
    assert lifted["bridge"] == "bridge_double"
    assert lifted["hip_thrust"] == "hip_thrust_bodyweight"
    bridge = [e for e in events if e["item"] == "bridge" and e["phase"] == 2][-1]
    assert (bridge["decision"], bridge["to"]) == ("progress", "bridge_single_leg")


def test_weekly_km_sets_where_running_starts_and_says_the_km(tmp_path):
    lumbar = "lumbar_referred_pain"
    without = walkthrough(tmp_path, lumbar, [])
    result = walkthrough(tmp_path, lumbar, [], "--weekly-km", "30")
    assert result["weekly_km"] == 30
    assert without["running_start"] == {"step": "run_walk_run_short", "note": None}
    assert result["running_start"]["step"] == "run_walk_run_long"
    assert "You ran about 30 km a week" in result["running_start"]["note"]
    start = next(e for e in result["events"] if e["item"] == "running")
    assert (start["decision"], start["to"]) == ("start", "run_walk_run_long")
    assert "You ran about 30 km a week" in start["reason"]


def test_weekly_km_out_of_range_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="--weekly-km: must be from 0 to 300"):
        walkthrough(tmp_path, PHT, [], "--weekly-km", "301")


def test_refer_first_diagnosis_prints_the_referral(tmp_path):
    events = walkthrough(tmp_path, "proximal_hamstring_avulsion", [settled(0)])["events"]
    assert [(e["item"], e["decision"]) for e in events] == [("plan", "refer")]


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"session_date": "2026-01-06", "exercise_pain": 12}, "exercise_pain"),
        ({"session_date": "tomorrow", "exercise_pain": 1}, "session_date"),
        (
            {"session_date": "2026-01-06", "exercise_pain": 1, "next_morning": "fine"},
            "next_morning",
        ),
        ({"session_date": "2026-01-06", "exercise_pain": 1, "mood": "good"}, "mood"),
    ],
)
def test_a_bad_session_is_a_command_error_naming_its_index_and_field(tmp_path, entry, field):
    with pytest.raises(CommandError, match=rf"sessions\[1\]\.{field}:"):
        walkthrough(tmp_path, PHT, [settled(0), entry])


def test_a_phase_move_past_the_last_phase_names_its_index(tmp_path):
    moves = [{"session_date": "2026-01-05", "advance_phase": True}] * 4
    with pytest.raises(CommandError, match=r"sessions\[3\]\.advance_phase: .*last phase"):
        walkthrough(tmp_path, PHT, moves)


def test_a_file_that_is_not_json_or_not_a_list_is_refused(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("plan_walkthrough", PHT, "--sessions", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"sessions: must be a JSON list"):
        walkthrough(tmp_path, PHT, {"sessions": []})


def test_an_unknown_diagnosis_lists_the_known_ones(tmp_path):
    with pytest.raises(CommandError, match=r"known: .*hamstring_strain"):
        walkthrough(tmp_path, "runners_knee", [])


def _days(start: int, count: int) -> list[dict]:
    return [settled(start + 2 * i) for i in range(count)]


def _move(day: int, **entry) -> dict:
    return {"session_date": (dt.date(2026, 1, 5) + dt.timedelta(days=day)).isoformat(), **entry}


def test_a_strain_walkthrough_sprints_at_90_and_100_percent_only_in_the_last_phase(tmp_path):
    sessions = [
        *_days(0, 6),
        _move(13, advance_phase=True),
        *_days(14, 10),
        _move(35, advance_phase=True),
        *_days(36, 16),
        _move(69, advance_phase=True),
        *_days(70, 8),
    ]
    events = walkthrough(tmp_path, "hamstring_strain", sessions)["events"]
    sprint = [e for e in events if e["item"] == "sprint"]
    fast = [e for e in sprint if e["to"] in ("sprint_90", "sprint_100")]
    assert fast and {e["phase"] for e in fast} == {4}
    assert any(e["rule"] == "hold_phase_ceiling" and e["phase"] == 3 for e in sprint)


@pytest.mark.parametrize("diagnosis", ["bone_stress_injury", "hip_joint_referred_pain"])
def test_no_running_before_the_clearance_entry_then_running_after_it(tmp_path, diagnosis):
    phases = len(engine.protocol(diagnosis).phases)
    sessions, day = [*_days(0, 6)], 13
    for _ in range(phases - 1):
        sessions += [_move(day, advance_phase=True), *_days(day + 1, 6)]
        day += 14
    before = walkthrough(tmp_path, diagnosis, sessions, "--weekly-km", "30")["events"]
    assert not any(
        e["item"] == "running" and e["to"] and engine.step(e["to"]).involves_running for e in before
    )
    after = walkthrough(
        tmp_path,
        diagnosis,
        [*sessions, _move(day, cleared_to_run=True), *_days(day + 1, 6)],
        "--weekly-km",
        "30",
    )["events"]
    cleared = [e for e in after if e["decision"] == "cleared"]
    assert len(cleared) == 1 and cleared[0]["item"] == "running"
    assert any(
        e["item"] == "running" and engine.step(e["to"]).involves_running
        for e in after[after.index(cleared[0]) :]
    )


def test_a_clearance_entry_takes_only_its_own_fields(tmp_path):
    entry = _move(1, cleared_to_run=True, exercise_pain=1)
    with pytest.raises(CommandError, match=r"sessions\[1\]\.exercise_pain: unknown field"):
        walkthrough(tmp_path, "hip_joint_referred_pain", [settled(0), entry])
    with pytest.raises(CommandError, match=r"sessions\[1\]\.cleared_to_run: must be true"):
        walkthrough(tmp_path, "hip_joint_referred_pain", [settled(0), _move(1, cleared_to_run=1)])
