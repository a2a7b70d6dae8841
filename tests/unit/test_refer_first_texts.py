"""The refer-first hand-over's words are knowledge data: every red flag has them, every
refer-first diagnosis is spoken for, a broken entry is named by key, and the runner's words
read plainly (grade 7 or below)."""

import re
import shutil

import pytest

from clinic import knowledge as shared
from rehab import engine

MAX_GRADE = 7


def _syllables(word: str) -> int:
    """A rough English syllable count: vowel groups, a silent final e dropped, at least one."""
    word = word.lower()
    groups = len(re.findall(r"[aeiouy]+", word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and groups > 1:
        groups -= 1
    return max(groups, 1)


def reading_grade(texts: list[str]) -> float:
    """Flesch-Kincaid grade of a page made of ``texts`` (each text one or more sentences)."""
    sentences = [s for t in texts for s in re.split(r"(?<=[.!?:])\s+", t.strip()) if s]
    words = [w for s in sentences for w in re.findall(r"[A-Za-z']+", s)]
    syllables = sum(_syllables(w) for w in words)
    return 0.39 * len(words) / len(sentences) + 11.8 * syllables / len(words) - 15.59


def test_the_grade_formula_tells_plain_from_dense_words():
    assert reading_grade(["Do not run. Call us today."]) < 3
    assert reading_grade(["Intermittent neurological symptomatology necessitates evaluation."]) > 12


def test_every_red_flag_has_its_hand_over_texts():
    registry = shared.red_flags()
    for info in [*registry.flags.values(), registry.unknown]:
        referral = info.referral
        assert referral.urgency in shared.REFERRAL_URGENCIES, info.code
        assert referral.question.strip().endswith("?"), info.code
        assert referral.avoid and all(text.strip() for text in referral.avoid), info.code
        assert referral.source, info.code
    assert set(registry.referral.urgency) == set(shared.REFERRAL_URGENCIES)
    assert registry.referral.stop and registry.referral.emergency and registry.referral.same_day


def test_an_emergency_flag_is_an_emergency_referral():
    for info in shared.red_flags().flags.values():
        assert (info.referral.urgency == "emergency") == info.is_emergency, info.code


def test_every_refer_first_diagnosis_is_spoken_for_by_a_registry_entry():
    refer_first = [p.diagnosis for p in engine.protocols() if p.refer_first]
    assert refer_first
    for diagnosis in refer_first:
        assert shared.red_flags().for_diagnosis(diagnosis) is not None, diagnosis


@pytest.mark.parametrize("code", sorted(shared.red_flags().flags))
def test_the_runners_words_for_each_flag_read_at_grade_7_or_below(code):
    registry = shared.red_flags()
    info = registry.get(code)
    page = [
        info.runner,
        registry.referral.stop,
        *info.referral.avoid,
        registry.referral.emergency if info.is_emergency else registry.referral.same_day,
        *(sign.text for sign in info.signs),
    ]
    assert reading_grade(page) <= MAX_GRADE, (code, round(reading_grade(page), 1))


def _broken(tmp_path, old, new):
    path = tmp_path / "red_flags.toml"
    shutil.copy(shared.RED_FLAGS_PATH, path)
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(shared.KnowledgeError) as caught:
        shared.load_red_flags(path)
    return caught.value.problems


def test_a_flag_without_a_question_is_named_by_key(tmp_path):
    problems = _broken(tmp_path, 'question = "Please assess for cauda', 'questin = "Please')
    assert problems == ["red_flags.toml: flag.cauda_equina.referral.question: must be a text"]


def test_a_letter_urgency_outside_the_list_is_named_by_key(tmp_path):
    problems = _broken(tmp_path, 'urgency = "same_day"', 'urgency = "next_week"')
    assert len(problems) == 1
    assert problems[0].startswith(
        "red_flags.toml: flag.progressive_neuro_deficit.referral.urgency: 'next_week'"
    )


def test_watching_for_a_flag_that_is_not_an_emergency_is_refused(tmp_path):
    problems = _broken(
        tmp_path, 'watch_for = ["cauda_equina"]', 'watch_for = ["serious_pathology"]'
    )
    assert problems == [
        "red_flags.toml: flag.progressive_neuro_deficit.referral.watch_for: "
        "'serious_pathology' is not an emergency red flag"
    ]
