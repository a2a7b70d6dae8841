"""The PDF's safety signs are data with sources, like the rest of the clinical knowledge."""

import tomllib

from rehab import engine


def _texts():
    with open(engine.KNOWLEDGE_DIR / "patient_texts.toml", "rb") as handle:
        return tomllib.load(handle)


def test_every_safety_sign_cites_a_known_source_or_a_stated_reason():
    texts = _texts()
    signs = texts["emergency_sign"] + texts["same_day_sign"] + texts["review_sign"]
    for sign in signs:
        assert sign["source"], sign["text"]
        for key in sign["source"]:
            assert key.startswith(("EST:", "GK:")) or engine.source(key), (key, sign["text"])


def test_the_seeds_five_see_a_professional_triggers_are_all_printed():
    review = " ".join(sign["text"] for sign in _texts()["review_sign"]).lower()
    for trigger in ["two weeks", "severe pain", "spreading", "hop", "nothing you do changes"]:
        assert trigger in review, trigger
