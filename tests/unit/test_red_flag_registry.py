"""One red-flag registry: every code the differential can raise has its urgency, the physio's
action and the runner's words there, and every place that shows a flag agrees with it.

Why: the differential raised ``cauda_equina`` while the plan engine knew
``cauda_equina_syndrome``, so a cauda equina case was told "urgent" instead of "go to the
emergency department now".
"""

import shutil
import tomllib

import pytest

from assessments.differential import knowledge as differential
from assessments.differential import rank, ranking_to_contract
from clinic import knowledge as shared
from rehab import engine

# The contract's table (version 1.1), the fourth place that names each code's urgency.
CONTRACT_URGENCY = {
    "cauda_equina": "emergency",
    "dvt_suspected": "emergency",
    "serious_pathology": "urgent",
    "progressive_neuro_deficit": "urgent",
    "suspected_avulsion": "urgent",
    "suspected_bone_stress_injury": "urgent",
}
# Findings that raise each code on their own (one of its rules' triggers).
RAISES = {
    "cauda_equina": {"saddle_numbness": True},
    "dvt_suspected": {"leg_swelling_warmth": True},
    "serious_pathology": {"cancer_history": True},
    "progressive_neuro_deficit": {"progressive_weakness": True},
    "suspected_avulsion": {"palpable_defect": True},
    "suspected_bone_stress_injury": {"bony_tenderness": True},
}


def _raisable_codes() -> set[str]:
    """Every code the differential's red-flag rules can raise, read from the file itself."""
    with open(differential.KNOWLEDGE_PATH, "rb") as handle:
        return {rule["code"] for rule in tomllib.load(handle)["red_flag"]}


def test_every_code_the_differential_can_raise_has_an_action_and_runner_text():
    registry = shared.red_flags()
    for code in _raisable_codes():
        assert registry.is_known(code), code
        entry = registry.get(code)
        assert entry.action.strip() and entry.runner.strip() and entry.name.strip(), code
        assert entry.urgency in shared.URGENCIES, code


def test_the_registry_names_exactly_the_contracts_codes_and_urgencies():
    registry = shared.red_flags()
    assert _raisable_codes() == set(CONTRACT_URGENCY) == set(RAISES)
    assert {code: e.urgency for code, e in registry.flags.items()} == CONTRACT_URGENCY


@pytest.mark.parametrize("code", sorted(CONTRACT_URGENCY))
def test_every_place_that_shows_a_flag_agrees_on_its_urgency(code):
    """Contract, registry, the differential's output and the plan refusal (PT and runner)."""
    registry = shared.red_flags().get(code)
    raised = {f["code"]: f for f in ranking_to_contract(rank(RAISES[code]))["red_flags"]}
    assert raised[code]["urgency"] == registry.urgency == CONTRACT_URGENCY[code]
    assert raised[code]["action"].startswith(registry.action)
    refusal = engine.build_plan(diagnosis="hamstring_strain", red_flags=[code])
    assert isinstance(refusal, engine.ReferFirst)
    assert refusal.urgency == registry.urgency
    (action,) = refusal.red_flags
    assert (action.urgency, action.action, action.runner) == (
        registry.urgency,
        registry.action,
        registry.runner,
    )
    assert action.known


@pytest.mark.parametrize("code", ["cauda_equina", "dvt_suspected"])
def test_a_plan_refused_for_an_emergency_says_emergency_to_physio_and_runner(code):
    refusal = engine.build_plan(diagnosis="proximal_hamstring_tendinopathy", red_flags=[code])
    assert isinstance(refusal, engine.ReferFirst)
    assert refusal.urgency == "emergency"
    (flag,) = refusal.red_flags
    assert flag.action.startswith("Emergency:")
    assert "Emergency:" in refusal.reason
    assert flag.runner.startswith("Go to the emergency department now")


def test_the_runners_safety_signs_sit_under_their_flags_urgency():
    """An emergency flag's signs are printed under "go to an emergency department now", an
    urgent one's with the same-day signs, never the other way round."""
    registry = shared.red_flags()
    for protocol in engine.protocols():
        if protocol.refer_first:
            continue
        signs = engine.safety_signs(protocol=protocol, tissue=engine.tissue(protocol.tissue or ""))
        for flag in registry.flags.values():
            for sign in flag.signs:
                expected, other = (
                    (signs.emergency, signs.same_day)
                    if flag.is_emergency
                    else (signs.same_day, signs.emergency)
                )
                printed = [t for t in expected if any(w in t.lower() for w in sign.matches)]
                assert printed, (protocol.diagnosis, flag.code, sign.text)
                assert sign.text not in other, (protocol.diagnosis, flag.code)


def test_an_unlisted_code_still_refers_as_urgent_with_the_generic_words():
    entry = shared.red_flags().get("something_new")
    assert entry.code == "something_new" and entry.urgency == "urgent"
    assert not shared.red_flags().is_known("something_new")


# --- The loader and the system check ------------------------------------------------------------


def _copy(tmp_path, source, name):
    path = tmp_path / name
    shutil.copy(source, path)
    return path


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_broken_registry_lists_each_problem_by_key(tmp_path):
    path = _copy(tmp_path, shared.RED_FLAGS_PATH, "red_flags.toml")
    _edit(path, 'urgency = "emergency"', 'urgency = "soonish"')
    _edit(path, 'runner = "Stop running and see a doctor', 'runnr = "Stop running and see a doctor')
    _edit(path, 'source = ["contract", "Koes2007"', 'source = ["contract", "Koes2099"')
    with pytest.raises(shared.KnowledgeError) as caught:
        shared.load_red_flags(path)
    problems = caught.value.problems
    assert len(problems) == 3, problems
    assert problems[0].startswith("red_flags.toml: flag.cauda_equina.urgency: 'soonish'")
    assert problems[1] == "red_flags.toml: flag.suspected_bone_stress_injury.runner: must be a text"
    assert "flag.progressive_neuro_deficit.source" in problems[2] and "Koes2099" in problems[2]


def test_a_differential_code_missing_from_the_registry_is_a_knowledge_error(tmp_path):
    registry = _copy(tmp_path, shared.RED_FLAGS_PATH, "red_flags.toml")
    _edit(registry, 'code = "dvt_suspected"', 'code = "deep_vein_thrombosis"')
    with pytest.raises(shared.KnowledgeError) as caught:
        differential.read_knowledge(red_flags=registry)
    assert caught.value.problems == [
        "knowledge.toml: red_flag[2].code: 'dvt_suspected' is not in the red-flag registry "
        "(red_flags.toml): add its urgency, action and runner text there"
    ]


def test_a_differential_rule_may_not_set_its_own_urgency(tmp_path):
    path = _copy(tmp_path, differential.KNOWLEDGE_PATH, "knowledge.toml")
    _edit(path, 'code = "cauda_equina"\n', 'code = "cauda_equina"\nurgency = "urgent"\n')
    with pytest.raises(shared.KnowledgeError) as caught:
        differential.read_knowledge(path)
    assert [p.split(":")[1].strip() for p in caught.value.problems] == ["red_flag[1].urgency"]


def test_the_system_check_reports_a_broken_registry(tmp_path, monkeypatch):
    from assessments.checks import differential_knowledge_check
    from rehab.checks import rehab_knowledge_check

    path = _copy(tmp_path, shared.RED_FLAGS_PATH, "red_flags.toml")
    _edit(path, 'urgency = "emergency"', 'urgency = "soonish"')
    monkeypatch.setattr(shared, "RED_FLAGS_PATH", path)
    for check in (differential_knowledge_check, rehab_knowledge_check):
        errors = check(None)
        assert [e.id for e in errors] == ["knowledge.E001"]
        assert errors[0].msg.startswith("red_flags.toml: flag.cauda_equina.urgency")
