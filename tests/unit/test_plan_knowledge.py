"""Integrity of the knowledge files and the illustrations they name."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from rehab.engine import (
    ILLUSTRATIONS_DIR,
    KNOWLEDGE_DIR,
    KnowledgeError,
    knowledge,
    ladder_steps,
    ladders,
    load_knowledge,
    protocols,
    source,
)

ROOT = Path(__file__).resolve().parents[2]
FINDINGS = ROOT / "assessments" / "findings.json"
SVG_NS = "{http://www.w3.org/2000/svg}"
ALL_STEPS = [s for lad in ladders() for s in lad.steps]


def findings() -> dict:
    return json.loads(FINDINGS.read_text(encoding="utf-8"))


# --- The shipped files load and agree with each other -----------------------------------------


def test_knowledge_files_load_without_problems():
    kb = load_knowledge()
    core = {"bridge", "hip_thrust", "rdl", "running"}
    assert core <= set(kb.ladders)
    # Every other ladder is a phase's other prescribed item (issue 11), e.g. the Askling extender.
    assert {c for c, lad in kb.ladders.items() if lad.is_activity} == set(kb.ladders) - core
    assert {"askling_extender", "askling_diver", "askling_glider", "morning_check"} <= set(
        kb.ladders
    )
    assert kb.version == knowledge().version


def test_knowledge_version_has_file_versions_and_a_content_hash():
    assert re.fullmatch(r"\d+(\.\d+){3}\+[0-9a-f]{10}", knowledge().version)


def test_knowledge_version_changes_when_the_patient_texts_change(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(kdir / "patient_texts.toml", "Walk-run only.", "Walk-run only, please.")
    assert load_knowledge(kdir, idir).version != knowledge().version


def test_there_is_one_protocol_per_cause_code_in_findings_json_with_the_same_name():
    causes = {c["code"]: c["name"] for c in findings()["causes"]}
    assert {p.diagnosis: p.name for p in protocols()} == causes


def test_only_avulsion_is_refer_first():
    assert [p.diagnosis for p in protocols() if p.refer_first] == ["proximal_hamstring_avulsion"]


def test_every_protocol_step_exists_on_its_ladder():
    steps = knowledge().steps
    for p in protocols():
        for phase in p.phases:
            for exercise in phase.exercises:
                assert steps[exercise.code] == exercise.step
            assert phase.running.ladder == "running"


def test_later_phases_never_start_a_ladder_lower_than_earlier_phases():
    for p in protocols():
        for ladder_code in ("bridge", "hip_thrust", "rdl", "running"):
            positions = [
                ph.start_step(ladder_code).position
                for ph in p.phases
                if ph.start_step(ladder_code) is not None
            ]
            assert positions == sorted(positions), (p.diagnosis, ladder_code)


def test_ladder_steps_are_ordered_easiest_first_and_numbered():
    for lad in ladders():
        assert [s.position for s in lad.steps] == list(range(1, len(lad.steps) + 1))
        assert all(s.ladder == lad.code for s in lad.steps)


def test_ladders_match_the_brief_bottom_and_top_steps():
    assert ladder_steps("bridge")[0].code == "bridge_isometric_double"
    assert ladder_steps("bridge")[-1].code == "bridge_loaded_single"
    assert ladder_steps("hip_thrust")[0].code == "hip_thrust_bodyweight"
    assert ladder_steps("hip_thrust")[-1].code == "hip_thrust_explosive"
    assert ladder_steps("rdl")[0].code == "rdl_hinge_dowel"
    assert ladder_steps("rdl")[-1].code == "rdl_heavy"
    assert ladder_steps("running")[0].activity == "none"
    assert ladder_steps("running")[-1].code == "run_strides_speed"


def test_rdl_hip_flexion_rises_up_the_ladder():
    degrees = [s.hip_flexion.degrees for s in ladder_steps("rdl")]
    assert degrees[0] < degrees[-1]
    assert ladder_steps("rdl")[-1].hip_flexion.level == "high"


@pytest.mark.parametrize("step", ALL_STEPS, ids=lambda s: s.code)
def test_every_step_has_patient_instructions_dose_and_hip_flexion(step):
    assert len(step.how_to) >= 3
    assert step.cues and step.should_feel and step.progress_when and step.purpose
    lo, hi = knowledge().hip_flexion_bands[step.hip_flexion.level]
    assert lo <= step.hip_flexion.degrees <= hi
    if step.ladder == "running":
        assert step.dose.session and step.dose.effort
        assert step.dose.sessions_per_week
    elif knowledge().ladder(step.ladder).is_activity:
        # An activity is dosed by sets and reps, or by when to do it (advice such as sitting).
        assert (step.dose.sets and (step.dose.reps or step.dose.hold_seconds)) or step.dose.session
        assert step.dose.sessions_per_week or step.dose.session
    else:
        assert step.dose.sets and (step.dose.reps or step.dose.hold_seconds)
        assert step.dose.tempo and step.dose.rest_seconds and step.dose.load
        assert step.dose.sessions_per_week


def test_every_cited_source_resolves_to_a_citation_or_is_a_marked_estimate():
    kb = knowledge()
    cited = {s for p in protocols() for s in _all_sources(p)}
    cited |= {s for step in ALL_STEPS for s in _all_sources(step)}
    cited |= {s for rule in kb.progression_rules.values() for s in rule.source}
    for key in cited:
        assert key.startswith(("EST:", "GK:")) or source(key) is not None, key


def test_tissue_thresholds_follow_evidence_6_1():
    limits = {code: t.pain_limit for code, t in knowledge().tissues.items()}
    assert limits == {"tendon": 3, "strain": 4, "nerve": 3, "bone": 0, "joint": 3}
    assert knowledge().tissues["bone"].running_requires_clearance is True


def test_progression_settings_follow_the_two_session_rule_and_seed_stop_line():
    settings = knowledge().settings
    assert settings["consecutive_good_sessions"] == 2
    assert settings["running_stop_pain"] == 5


def _all_sources(obj) -> set[str]:
    found: set[str] = set()

    def walk(value):
        if hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                item = getattr(value, name)
                if name == "source":
                    found.update(item)
                else:
                    walk(item)
        elif isinstance(value, tuple):
            for item in value:
                walk(item)

    walk(obj)
    return found


# --- Illustrations ----------------------------------------------------------------------------


@pytest.mark.parametrize("step", ALL_STEPS, ids=lambda s: s.code)
def test_every_step_has_a_plain_printable_svg_with_a_title(step):
    path = ILLUSTRATIONS_DIR / step.illustration
    assert path.name == f"{step.code}.svg"
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)  # noqa: S314 - our own files, checked into the repo
    assert root.tag == f"{SVG_NS}svg"
    assert root.get("viewBox") == "0 0 420 160"  # two panels: start | end
    title = root.find(f"{SVG_NS}title")
    assert title is not None and title.text == step.name
    lowered = text.lower()
    for banned in ("<script", "href", "@import", "animation", "<style", "url("):
        assert banned not in lowered, banned
    colours = set(re.findall(r'(?:fill|stroke)="([^"]+)"', text))
    assert colours <= {"#000", "#fff", "#8a8a8a", "none"}, colours


def test_no_stray_illustrations_without_a_step():
    names = {p.name for p in ILLUSTRATIONS_DIR.glob("*.svg")}
    assert names == {s.illustration for s in ALL_STEPS}


@pytest.mark.pdf
def test_illustrations_render_in_weasyprint(tmp_path):
    weasyprint = pytest.importorskip("weasyprint")
    images = "".join(
        f'<img style="width:60mm" src="{(ILLUSTRATIONS_DIR / s.illustration).as_uri()}">'
        for s in ALL_STEPS
    )
    pdf = weasyprint.HTML(string=f"<html><body>{images}</body></html>").write_pdf()
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 10_000  # drawings, not blank placeholders


# --- Validation catches broken files ----------------------------------------------------------


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> tuple[Path, Path]:
    kdir = tmp_path / "knowledge"
    idir = tmp_path / "illustrations"
    shutil.copytree(KNOWLEDGE_DIR, kdir)
    shutil.copytree(ILLUSTRATIONS_DIR, idir)
    return kdir, idir


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_validation_rejects_a_protocol_step_that_does_not_exist(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(kdir / "protocols.toml", 'step = "bridge_isometric_double"', 'step = "bridge_magic"')
    with pytest.raises(KnowledgeError, match="bridge_magic"):
        load_knowledge(kdir, idir)


def test_validation_rejects_a_missing_illustration(knowledge_copy):
    kdir, idir = knowledge_copy
    (idir / "rdl_heavy.svg").unlink()
    with pytest.raises(KnowledgeError, match=r"rdl_heavy\.svg"):
        load_knowledge(kdir, idir)


def test_validation_rejects_an_unknown_source_key(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(kdir / "ladders.toml", 'source = ["Goom2016", "EastVicPark"', 'source = ["Nobody2099"')
    with pytest.raises(KnowledgeError, match="Nobody2099"):
        load_knowledge(kdir, idir)


def test_validation_rejects_an_estimate_without_a_reason(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(
        kdir / "ladders.toml", 'source = ["EST: usual depth', 'source = ["EST:", "EST: usual depth'
    )
    with pytest.raises(KnowledgeError, match="needs a reason"):
        load_knowledge(kdir, idir)


def test_validation_rejects_an_unknown_template_placeholder(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(kdir / "progression.toml", "Move up from {current}", "Move up from {curent}")
    with pytest.raises(KnowledgeError, match="curent"):
        load_knowledge(kdir, idir)


def test_validation_rejects_hip_flexion_degrees_outside_the_level_band(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(kdir / "ladders.toml", 'level = "low"\ndegrees = 30', 'level = "low"\ndegrees = 90')
    with pytest.raises(KnowledgeError, match="does not fit"):
        load_knowledge(kdir, idir)


def test_validation_rejects_a_later_phase_starting_lower_on_a_ladder(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(kdir / "protocols.toml", 'step = "bridge_loaded_single"', 'step = "bridge_double"')
    with pytest.raises(KnowledgeError, match="lower than an earlier phase"):
        load_knowledge(kdir, idir)


def test_validation_rejects_a_missing_progression_rule(knowledge_copy):
    kdir, idir = knowledge_copy
    _edit(kdir / "progression.toml", 'code = "progress_at_top"', 'code = "progress_maybe"')
    with pytest.raises(KnowledgeError, match="progress_at_top"):
        load_knowledge(kdir, idir)


def test_validation_lists_every_problem_not_just_the_first(knowledge_copy):
    kdir, idir = knowledge_copy
    (idir / "rdl_heavy.svg").unlink()
    (idir / "run_hills.svg").unlink()
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(kdir, idir)
    assert len(caught.value.problems) == 2
