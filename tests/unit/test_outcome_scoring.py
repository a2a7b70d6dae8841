"""Outcome-measure scoring (rehab.outcomes): ranges, directions, VISA-H question 8, MCID."""

from __future__ import annotations

import pytest

from rehab import outcomes
from rehab.outcomes import ScoringError, change, score, score_total

LEFS_ITEMS = [f"lefs_{n:02d}" for n in range(1, 21)]
VISA_VAS = [f"visa_h_q{n}" for n in range(1, 7)]


def lefs(points: int) -> dict[str, int]:
    return dict.fromkeys(LEFS_ITEMS, points)


def visa_h(*, vas: int = 10, q7: int = 10, q8: str = "a", q8_points: int = 30) -> dict:
    answers: dict[str, object] = dict.fromkeys(VISA_VAS, vas)
    answers.update({"visa_h_q7": q7, "visa_h_q8": q8, f"visa_h_q8{q8}": q8_points})
    return answers


# --- Definitions ----------------------------------------------------------------------------


def test_the_four_measures_load_with_their_published_ranges_and_directions():
    found = {m.code: (m.minimum, m.maximum, m.direction) for m in outcomes.measures()}
    assert found == {
        "lefs": (0, 80, "higher_better"),
        "visa_h": (0, 100, "higher_better"),
        "pain_rest": (0, 10, "lower_better"),
        "pain_running": (0, 10, "lower_better"),
    }


def test_declared_ranges_equal_what_the_items_can_score():
    for measure in outcomes.measures():
        assert outcomes.score_range(measure) == (measure.minimum, measure.maximum), measure.code


def test_lefs_has_twenty_items_scored_0_to_4_with_the_published_wording():
    lefs_def = outcomes.measure("lefs")
    assert [i.code for i in lefs_def.items] == LEFS_ITEMS
    assert all(i.allowed_points == (0, 1, 2, 3, 4) for i in lefs_def.items)
    assert lefs_def.item("lefs_18").label == "Making sharp turns while running fast."
    assert lefs_def.item("lefs_01").options[0].label.startswith("Extreme difficulty")


def test_visa_h_has_eight_questions_and_no_invented_mcid():
    visa = outcomes.measure("visa_h")
    numbered = {i.code.removeprefix("visa_h_q")[0] for i in visa.items}
    assert numbered == {str(n) for n in range(1, 9)}
    assert outcomes.measure("visa_h").item("visa_h_q7").allowed_points == (0, 4, 7, 10)
    assert visa.mcid is None
    assert "No minimal important change has been published" in visa.mcid_note
    assert visa.item_wording == "not_verified"


def test_lefs_mcid_is_9_points_from_binkley():
    lefs_def = outcomes.measure("lefs")
    assert lefs_def.mcid == 9
    assert "Binkley1999" in lefs_def.mcid_source
    assert outcomes.source("Binkley1999").url.startswith("http")


def test_every_cited_source_resolves():
    for measure in outcomes.measures():
        keys = [*measure.source, *measure.mcid_source, *measure.interpretation_source]
        keys += [key for item in measure.items for key in item.source]
        for key in keys:
            if not key.startswith(("GK:", "EST:")):
                assert outcomes.source(key).citation, key


def test_an_inconsistent_definition_file_is_refused_listing_every_problem(tmp_path):
    text = outcomes.MEASURES_FILE.read_text().replace("maximum = 80", "maximum = 81")
    text = text.replace('equals = "b"', 'equals = "z"')
    bad = tmp_path / "measures.toml"
    bad.write_text(text)
    with pytest.raises(outcomes.DefinitionError) as error:
        outcomes.load_measures(bad)
    problems = "\n".join(error.value.problems)
    assert "declared range 0-81 but the items score 0-80" in problems
    assert "visa_h_q8b: when visa_h_q8 equals 'z'" in problems


# --- Totals and directions ------------------------------------------------------------------


def test_lefs_all_no_difficulty_scores_the_maximum_80_higher_better():
    result = score("lefs", lefs(4))
    assert (result.total, result.maximum, result.direction) == (80, 80, "higher_better")
    assert result.display == "80/80"
    assert "Higher is better" in result.interpretation


def test_lefs_all_extreme_difficulty_scores_the_minimum_0():
    assert score("lefs", lefs(0)).total == 0


def test_lefs_mixed_answers_sum():
    answers = lefs(2)
    answers["lefs_16"] = 0
    answers["lefs_19"] = 4
    assert score("lefs", answers).total == 40


def test_form_strings_are_accepted_and_normalised_to_integers():
    result = score("lefs", dict.fromkeys(LEFS_ITEMS, "3"))
    assert result.total == 60
    assert result.responses["lefs_01"] == 3


def test_visa_h_asymptomatic_scores_100():
    result = score("visa_h", visa_h())
    assert (result.total, result.maximum, result.direction) == (100, 100, "higher_better")


def test_visa_h_worst_answers_score_0():
    assert score("visa_h", visa_h(vas=0, q7=0, q8="c", q8_points=0)).total == 0


def test_pain_is_lower_better_from_0_to_10():
    rest = score("pain_rest", {"pain": 0})
    worst = score("pain_running", {"pain": 10})
    assert (rest.total, rest.direction) == (0, "lower_better")
    assert (worst.total, worst.maximum) == (10, 10)
    assert "Lower is better" in worst.interpretation


# --- VISA-H question 8 branching ------------------------------------------------------------


@pytest.mark.parametrize(
    ("branch", "points", "best_total"),
    [("a", 30, 100), ("b", 20, 90), ("c", 10, 80)],
)
def test_visa_h_q8_branch_caps_the_training_points(branch, points, best_total):
    assert score("visa_h", visa_h(q8=branch, q8_points=points)).total == best_total


def test_visa_h_q8_points_must_come_from_the_chosen_branch():
    with pytest.raises(ScoringError) as error:
        score("visa_h", visa_h(q8="c", q8_points=30))
    assert error.value.errors == {"visa_h_q8c": "must be one of 0, 2, 5, 7, 10 points"}


def test_visa_h_q8_answer_for_a_branch_not_taken_is_refused_by_name():
    answers = visa_h(q8="b", q8_points=14)
    answers["visa_h_q8a"] = 30
    with pytest.raises(ScoringError) as error:
        score("visa_h", answers)
    assert set(error.value.errors) == {"visa_h_q8a"}


def test_visa_h_q8_branch_without_its_time_answer_names_the_missing_part():
    answers = visa_h()
    del answers["visa_h_q8a"]
    with pytest.raises(ScoringError) as error:
        score("visa_h", answers)
    assert error.value.errors == {"visa_h_q8a": "is required"}


def test_applicable_responses_drops_a_left_over_answer_from_another_branch():
    answers = visa_h(q8="b", q8_points=14)
    answers["visa_h_q8a"] = 30  # a radio the runner chose before switching branch
    kept = outcomes.applicable_responses("visa_h", answers)
    assert "visa_h_q8a" not in kept
    assert score("visa_h", kept).total == 60 + 10 + 14


# --- Field-named errors ---------------------------------------------------------------------


def test_missing_and_out_of_range_items_are_all_named():
    answers = lefs(4)
    del answers["lefs_03"]
    answers["lefs_07"] = 5
    answers["lefs_99"] = 1
    with pytest.raises(ScoringError) as error:
        score("lefs", answers)
    assert error.value.errors == {
        "lefs_03": "is required",
        "lefs_07": "must be one of 0, 1, 2, 3, 4 points",
        "lefs_99": "is not an item of LEFS",
    }
    assert "lefs_07" in str(error.value)


@pytest.mark.parametrize("bad", [-1, 11, "7.5", True, None, ""])
def test_pain_outside_0_to_10_or_not_a_whole_number_is_refused(bad):
    with pytest.raises(ScoringError) as error:
        score("pain_rest", {"pain": bad})
    assert list(error.value.errors) == ["pain"]


def test_unknown_measure_is_a_lookup_error():
    with pytest.raises(outcomes.UnknownMeasureError):
        score("koos", {})


# --- Change and MCID ------------------------------------------------------------------------


def test_lefs_gain_of_9_reaches_the_mcid():
    result = change(score_total("lefs", 40), score_total("lefs", 49))
    assert (result.delta, result.trend, result.important) == (9, "better", True)
    assert result.signed == "+9"
    assert "reaches the minimal important change of 9 points" in result.explanation


def test_lefs_gain_of_8_is_below_the_mcid():
    result = change(score_total("lefs", 40), score_total("lefs", 48))
    assert (result.trend, result.important) == ("better", False)
    assert "is below" in result.explanation


def test_lefs_fall_of_12_is_an_important_worsening():
    result = change(score_total("lefs", 60), score_total("lefs", 48))
    assert (result.delta, result.trend, result.important) == (-12, "worse", True)


def test_visa_h_change_has_no_mcid_and_says_so():
    result = change(score("visa_h", visa_h(vas=5)), score("visa_h", visa_h(vas=8)))
    assert (result.delta, result.trend, result.mcid, result.important) == (18, "better", None, None)
    assert result.explanation == (
        "Better by 18 points. No minimal important change has been published for the VISA-H."
    )


def test_pain_going_down_is_better_because_lower_is_better():
    result = change(score_total("pain_running", 6), score_total("pain_running", 2))
    assert (result.delta, result.trend, result.important) == (-4, "better", True)


def test_pain_mcid_is_2_points_or_30_percent_from_farrar_and_salaffi():
    pain = outcomes.measure("pain_rest")
    assert (pain.mcid, pain.mcid_percent) == (2, 30)
    assert set(pain.mcid_source) == {"Farrar2001", "Salaffi2004"}


@pytest.mark.parametrize(
    ("before", "after", "important"),
    [
        (6, 4, True),  # 2 points
        (6, 5, False),  # 1 point, 17 %
        (3, 2, True),  # 1 point but 33 % of 3
        (4, 3, False),  # 1 point, 25 %
        (0, 1, False),  # 1 point from nothing: no percent of 0
        (2, 4, True),  # worse by 2 points
    ],
)
def test_pain_change_reaches_the_mcid_by_2_points_or_30_percent(before, after, important):
    result = change(score_total("pain_rest", before), score_total("pain_rest", after))
    assert result.important is important
    assert "2 points or 30 %" in result.explanation


def test_no_change_is_unchanged():
    assert change(score_total("lefs", 50), score_total("lefs", 50)).trend == "unchanged"


def test_comparing_different_measures_is_refused():
    with pytest.raises(ValueError, match="cannot compare"):
        change(score_total("lefs", 50), score_total("visa_h", 50))


def test_a_stored_total_outside_the_range_is_refused():
    with pytest.raises(ScoringError):
        score_total("lefs", 81)
