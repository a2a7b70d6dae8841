"""The live panel reads the POST without building the form; both must read it the same way."""

import json
from pathlib import Path

import pytest
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.forms import NONE_OF_THESE, AssessmentForm, preview_findings
from assessments.vocabulary import load_vocabulary

VOCABULARY = load_vocabulary()
VIGNETTES = json.loads(
    (Path(__file__).resolve().parents[2] / "assessments/vignettes/dev.json").read_text()
)


def as_post(findings: dict) -> QueryDict:
    """Findings encoded as the assessment form posts them."""
    data = QueryDict(mutable=True)
    for name, value in findings.items():
        if isinstance(value, list):
            data.setlist(name, value or [NONE_OF_THESE])
        elif isinstance(value, bool):
            data[name] = str(value)
        else:
            data[name] = str(value)
    return data


def form_reading(data: QueryDict):
    return AssessmentForm(data).findings_so_far()


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v["id"])
def test_preview_reads_each_vignette_like_the_form(vignette):
    data = as_post(vignette["findings"])
    assert preview_findings(data) == form_reading(data)
    assert preview_findings(data)[0] == vignette["findings"]


raw_values = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "1e1",
            " True",
            "7.0",
            "1_0",
            "inf",
            " positive",
            "True",
            "False",
            "yes",
            "positive",
            "negative",
            "-1",
            "0",
            "10",
            "11",
            "3.5",
            "1e3",
            "nan",
            "12abc",
            " 7 ",
            "none_of_these",
            "sit_bone",
        ]
    ),
    st.text(max_size=6),
)


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([f.name for f in VOCABULARY.fields if f.type != "set"]), raw_values
    ),
    st.dictionaries(
        st.sampled_from([f.name for f in VOCABULARY.fields if f.type == "set"]),
        st.lists(st.sampled_from(["sit_bone", "ache", "volume", NONE_OF_THESE, "bogus"])),
    ),
)
def test_preview_and_form_agree_on_any_typed_values(scalars, sets):
    data = QueryDict(mutable=True)
    for name, value in scalars.items():
        data[name] = value
    for name, values in sets.items():
        data.setlist(name, values)
    assert preview_findings(data) == form_reading(data)
