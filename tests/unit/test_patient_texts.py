"""The PDF's safety signs are data with sources, like the rest of the clinical knowledge."""

import shutil
import tomllib

import pytest

from rehab import engine


def _texts():
    with open(engine.KNOWLEDGE_DIR / "patient_texts.toml", "rb") as handle:
        return tomllib.load(handle)


def test_every_safety_sign_cites_a_known_source_or_a_stated_reason():
    texts = _texts()
    signs = texts["same_day_sign"] + texts["review_sign"]
    for sign in signs:
        assert sign["source"], sign["text"]
        for key in sign["source"]:
            assert key.startswith(("EST:", "GK:")) or engine.source(key), (key, sign["text"])


def test_the_seeds_five_see_a_professional_triggers_are_all_printed():
    review = " ".join(sign["text"] for sign in _texts()["review_sign"]).lower()
    for trigger in ["two weeks", "severe pain", "spreading", "hop", "nothing you do changes"]:
        assert trigger in review, trigger


def test_every_running_step_gets_a_running_now_answer_with_a_source():
    for tissue in engine.knowledge().tissues.values():
        for step in engine.ladder_steps("running"):
            for cleared in (True, False):
                now = engine.running_now(step, tissue, cleared_to_run=cleared)
                assert now.headline and now.source, (step.code, tissue.code)


def test_a_broken_patient_texts_file_lists_each_problem_by_key(tmp_path):
    directory = tmp_path / "knowledge"
    shutil.copytree(engine.KNOWLEDGE_DIR, directory)
    path = directory / "patient_texts.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('action = "continue"', 'action = "sprint"', 1)
    text = text.replace("3 = [1, 3, 5]", "3 = [1, 1, 5]", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(engine.KnowledgeError) as caught:
        engine.load_knowledge(directory, engine.ILLUSTRATIONS_DIR)
    assert len(caught.value.problems) == 2
    assert caught.value.problems[0].startswith("patient_texts.toml: training_days.running.3: ")
    assert caught.value.problems[1].startswith("patient_texts.toml: running_now[5].action: ")
