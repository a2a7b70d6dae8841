"""The ``rank_causes`` and ``differential_knowledge`` management commands."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from assessments.vocabulary import load_vocabulary
from tests.factories import AssessmentFactory
from tests.rehab_factories import PHT_FINDINGS

CAUSES = sorted(load_vocabulary().cause_codes)


def run(*args: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rank_causes", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "cases.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_one_findings_object_prints_one_contract_object(tmp_path: Path) -> None:
    out, _ = run(write(tmp_path, PHT_FINDINGS))
    result = json.loads(out)
    assert isinstance(result, dict)
    assert sorted(c["code"] for c in result["causes"]) == CAUSES
    assert result["causes"][0]["code"] == "proximal_hamstring_tendinopathy"
    assert {"red_flags", "run_advice", "see_professional", "next_best_tests"} <= set(result)


def test_a_list_of_cases_prints_a_list_with_their_ids(tmp_path: Path) -> None:
    cases = [
        {"id": "a", "findings": {"onset": "sudden_sprint"}, "expected": {"ignored": True}},
        {"id": "b", "findings": {"back_pain": True}},
    ]
    out, _ = run(write(tmp_path, cases))
    result = json.loads(out)
    assert [r["id"] for r in result] == ["a", "b"]


def test_the_dev_vignette_file_ranks_without_errors() -> None:
    import assessments

    path = Path(assessments.__file__).with_name("vignettes") / "dev.json"
    out, err = run(str(path))
    assert len(json.loads(out)) == 32
    assert err == ""


def test_a_bad_case_is_reported_by_field_while_the_others_are_ranked(tmp_path: Path) -> None:
    cases = [
        {"id": "good", "findings": {"back_pain": True}},
        {"id": "bad", "findings": {"age": 4, "slump_test": "maybe"}},
    ]
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 of 2"):
        call_command("rank_causes", write(tmp_path, cases), stdout=out, stderr=err)
    result = json.loads(out.getvalue())
    assert "causes" in result[0]
    assert result[1]["id"] == "bad"
    assert set(result[1]["errors"]) == {"age", "slump_test"}
    assert "(id bad): age:" in err.getvalue()
    assert "slump_test" in err.getvalue()


def test_a_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"hop_test": "painful"})))
    out, _ = run("-")
    result = json.loads(out)
    assert result["red_flags"][0]["code"] == "suspected_bone_stress_injury"
    assert result["run_advice"]["advice"] == "stop_and_seek_care"


def test_invalid_json_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        run(str(path))


def test_a_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "nope.json"))


def test_no_file_and_no_assessment_is_a_clean_error() -> None:
    with pytest.raises(CommandError, match="FILE"):
        run()


@pytest.mark.django_db
def test_a_saved_assessment_is_ranked_by_id() -> None:
    assessment = AssessmentFactory(**PHT_FINDINGS)
    out, _ = run("--assessment", str(assessment.pk))
    result = json.loads(out)
    assert result["id"] == assessment.pk
    assert result["causes"][0]["code"] == "proximal_hamstring_tendinopathy"


@pytest.mark.django_db
def test_an_unknown_assessment_is_a_clean_error() -> None:
    with pytest.raises(CommandError, match="Assessment 987654 does not exist"):
        run("--assessment", "987654")


def test_the_knowledge_command_prints_priors_weights_and_rules_with_sources() -> None:
    out = io.StringIO()
    call_command("differential_knowledge", stdout=out)
    text = out.getvalue()
    for heading in ("Priors", "Weights (likelihood ratios)", "Red flags", "Run advice"):
        assert heading in text
    assert "Cacchio2012" in text
    assert "suspected_bone_stress_injury" in text
