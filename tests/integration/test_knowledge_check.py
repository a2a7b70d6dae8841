"""`manage.py check` refuses a broken knowledge file and names every problem by file and key."""

import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from assessments.checks import differential_knowledge_check
from assessments.differential import knowledge as differential
from rehab import engine, outcomes
from rehab.checks import rehab_knowledge_check


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def broken_protocols(tmp_path, monkeypatch):
    """A copy of the rehab knowledge with two mistakes, and the check pointed at it."""
    directory = tmp_path / "knowledge"
    shutil.copytree(engine.KNOWLEDGE_DIR, directory)
    _edit(directory / "protocols.toml", 'step = "hip_thrust_bodyweight"', 'step = "x"')
    _edit(directory / "protocols.toml", 'tissue = "tendon"', 'tissue = "tendom"')
    monkeypatch.setattr(engine, "KNOWLEDGE_DIR", directory)
    return directory


def test_the_shipped_knowledge_files_pass_the_system_check():
    assert differential_knowledge_check(None) == []
    assert rehab_knowledge_check(None) == []
    call_command("check")


def test_a_broken_protocols_file_reports_both_problems_with_file_and_key(broken_protocols):
    errors = rehab_knowledge_check(None)
    messages = [error.msg for error in errors]
    assert {error.id for error in errors} == {"knowledge.E001"}
    assert (
        "protocols.toml: protocol.proximal_hamstring_tendinopathy.phase[2].exercise[2].step: "
        "no such ladder step 'x'"
    ) in messages
    assert any(
        m.startswith("protocols.toml: protocol.proximal_hamstring_tendinopathy: tissue must be")
        for m in messages
    ), messages
    assert len(messages) == 2, messages


def test_a_bad_running_start_is_a_check_error_naming_file_and_key(tmp_path, monkeypatch):
    directory = tmp_path / "knowledge"
    shutil.copytree(engine.KNOWLEDGE_DIR, directory)
    _edit(directory / "protocols.toml", "volume_percent = 80", "volume_percent = 180")
    monkeypatch.setattr(engine, "KNOWLEDGE_DIR", directory)
    errors = rehab_knowledge_check(None)
    assert [(e.id, e.msg) for e in errors] == [
        (
            "knowledge.E001",
            "protocols.toml: running_start[1] (tendon).volume_percent: "
            "must be a whole number from 1 to 100",
        )
    ]


def test_check_command_fails_on_a_broken_rehab_knowledge_file(broken_protocols):
    with pytest.raises(SystemCheckError, match=r"knowledge\.E001"):
        call_command("check")


def test_check_command_fails_on_a_broken_differential_file(tmp_path, monkeypatch):
    broken = tmp_path / "knowledge.toml"
    shutil.copy(differential.KNOWLEDGE_PATH, broken)
    _edit(broken, 'when = "fadir = positive"', 'when = "fadir = maybe"')
    _edit(broken, "[Beatty2017]", "[Beaty2017]")
    monkeypatch.setattr(differential, "KNOWLEDGE_PATH", broken)
    messages = [error.msg for error in differential_knowledge_check(None)]
    assert len(messages) == 2, messages
    assert any(m.startswith("knowledge.toml: weight[") and "fadir" in m for m in messages)
    assert any(
        m.startswith("knowledge.toml: priors.reasons.") and "'Beaty2017'" in m for m in messages
    )
    with pytest.raises(SystemCheckError, match="Beaty2017"):
        call_command("check")


def test_check_command_fails_on_broken_outcome_measures(tmp_path, monkeypatch):
    broken = tmp_path / "measures.toml"
    shutil.copy(outcomes.MEASURES_FILE, broken)
    _edit(broken, "maximum = 80", "maximum = 81")
    monkeypatch.setattr(outcomes, "MEASURES_FILE", broken)
    with pytest.raises(SystemCheckError, match=r"measures\.toml: measure\.lefs: declared range"):
        call_command("check")


def test_check_names_a_phase_ceiling_off_its_ladder_and_one_below_the_phase_start(
    tmp_path, monkeypatch
):
    directory = tmp_path / "knowledge"
    shutil.copytree(engine.KNOWLEDGE_DIR, directory)
    ceiling = '[[protocol.phase.ceiling]]\nladder = "bridge"\nstep = "bridge_isometric_double"'
    _edit(
        directory / "protocols.toml",
        ceiling,
        ceiling.replace("bridge_isometric_double", "rdl_heavy"),
    )
    running = 'ladder = "running"\nstep = "run_brisk_walk"'  # the strain's phase 1 (walking)
    _edit(
        directory / "protocols.toml",
        running,
        running.replace("run_brisk_walk", "run_none_cross_train"),
    )
    monkeypatch.setattr(engine, "KNOWLEDGE_DIR", directory)
    messages = [error.msg for error in rehab_knowledge_check(None)]
    assert (
        "protocols.toml: protocol.proximal_hamstring_tendinopathy.phase[1].ceiling[1].step: "
        "'rdl_heavy' is not a step of the bridge ladder"
    ) in messages
    assert any(
        m.startswith("protocols.toml: protocol.hamstring_strain.phase[1]: the running ceiling")
        and "is below the step the phase starts at" in m
        for m in messages
    ), messages
    with pytest.raises(SystemCheckError, match=r"knowledge\.E001"):
        call_command("check")
