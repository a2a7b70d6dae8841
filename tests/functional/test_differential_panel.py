"""The assessment page's differential panel says no more than the findings support (issue 10):
"not enough information yet" before onset and location, bands beside every probability, run
advice only once something about running is known (or a red flag is raised)."""

import re

from django.urls import reverse

from tests.rehab_factories import PHT_FINDINGS, as_posted


def _panel(client, patient, findings):
    response = client.post(
        reverse("assessment_preview", args=[patient.pk]),
        as_posted(findings),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    return response.content.decode()


def test_an_empty_form_says_not_enough_information_and_gives_no_run_advice(alice_client, patient):
    page = _panel(alice_client, patient, {"age": "34", "sex": "female"})
    assert "Not enough information yet" in page
    assert "answer: How did it start?; Where is the pain? (body chart)<" in page
    assert 'id="ranked-causes"' not in page and "%" not in page
    assert 'id="run-advice"' not in page and "Run with changes" not in page
    assert 'id="run-advice-unknown"' in page


def test_a_location_without_an_onset_is_not_enough(alice_client, patient):
    page = _panel(alice_client, patient, {"pain_locations": ["sit_bone"], "back_pain": True})
    assert "Not enough information yet" in page and "answer: How did it start?<" in page
    assert 'id="ranked-causes"' not in page


def test_onset_and_location_rank_the_causes_with_a_band_beside_each(alice_client, patient):
    page = _panel(alice_client, patient, PHT_FINDINGS)
    assert "Not enough information yet" not in page
    bands = re.findall(r'data-cause="(\w+)" data-band="(\w+)"', page)
    assert len(bands) == 8
    assert bands[0] == ("proximal_hamstring_tendinopathy", "likely")
    assert {band for _, band in bands} <= {"likely", "possible", "unlikely"}
    assert bands[-1][1] == "unlikely"
    assert 'id="run-advice"' not in page  # nothing about running yet


def test_run_advice_shows_once_running_is_recorded(alice_client, patient):
    page = _panel(alice_client, patient, {**PHT_FINDINGS, "run_response": "warms_up"})
    assert 'id="run-advice"' in page and 'data-advice="modify"' in page
    assert 'id="run-advice-unknown"' not in page


def test_a_red_flag_shows_stop_and_seek_care_even_before_onset_and_location(alice_client, patient):
    page = _panel(alice_client, patient, {"saddle_numbness": True})
    assert 'id="red-flags"' in page
    assert 'data-advice="stop_and_seek_care"' in page
    assert "Not enough information yet" in page


def test_the_saved_assessment_shows_bands_too(alice_client, assessment):
    for name, value in PHT_FINDINGS.items():
        setattr(assessment, name, value)
    assessment.save()
    page = alice_client.get(reverse("assessment_detail", args=[assessment.pk])).content.decode()
    assert 'data-band="likely"' in page
    assert "Not enough information yet" not in page
