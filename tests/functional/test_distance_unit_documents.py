"""The rest of the places that state a distance follow the clinic's unit: the differential's
knowledge page, the referral letter (read back with pypdf) and ``manage.py plan_walkthrough``.
A miles clinic reads miles and never "km"; a km clinic's words are unchanged."""

import dataclasses
import io
import json
import re

import pypdf
import pytest
from django.core.management import call_command
from django.urls import reverse

from assessments.models import Assessment
from clinic.models import Clinic, Membership
from tests.factories import ClinicFactory
from tests.rehab_factories import PHT_FINDINGS, signed_assessment

KM_WORD = re.compile(r"\bkm\b")


def _csrf(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _visible(page: str) -> str:
    """The main part's text as a person reads it (not ids or class names)."""
    return re.sub(r"<[^>]+>", " ", page[page.index("<main") :])


def _miles(clinic):
    Clinic.objects.filter(pk=clinic.pk).update(distance_unit="mi")


def test_the_knowledge_page_states_the_distance_rule_in_miles_for_a_miles_clinic(
    alice_client, clinic
):
    _miles(clinic)
    body = _visible(alice_client.get(reverse("differential_knowledge")).content.decode())
    assert "weekly_distance &gt;= 31.1 miles" in body
    assert "weekly_distance_km" not in body
    assert not KM_WORD.search(body)


def test_the_knowledge_page_of_a_km_clinic_or_of_clinics_with_both_units_keeps_km(
    alice_client, alice, clinic
):
    page = alice_client.get(reverse("differential_knowledge")).content.decode()
    assert "weekly_distance_km &gt;= 50" in page
    _miles(clinic)
    Membership.objects.create(user=alice, clinic=ClinicFactory(name="Kilometre Clinic"))
    page = alice_client.get(reverse("differential_knowledge")).content.decode()
    assert "weekly_distance_km &gt;= 50" in page and "miles" not in _visible(page)


def test_the_knowledge_page_kept_by_the_process_still_follows_each_users_unit(
    client, alice, charlie, other_clinic
):
    """The report is rendered once per knowledge and unit in a process: a km clinic's PT and
    a miles clinic's PT, in turns, each read their own unit, with their own name and token."""
    _miles(other_clinic)
    for _ in range(2):
        client.force_login(alice)
        km = client.get(reverse("differential_knowledge")).content.decode()
        client.force_login(charlie)
        miles = client.get(reverse("differential_knowledge")).content.decode()
        assert "weekly_distance_km &gt;= 50" in km and "miles" not in _visible(km)
        assert "weekly_distance &gt;= 31.1 miles" in miles and not KM_WORD.search(_visible(miles))
        assert alice.get_full_name() in km and alice.get_full_name() not in miles
        assert charlie.get_full_name() in miles
        assert _csrf(km) != _csrf(miles)


def test_another_knowledge_in_the_same_process_shows_its_own_report(alice_client, monkeypatch):
    """A knowledge read again is a new key: the page never shows one it is not using."""
    from assessments import views
    from assessments.differential.knowledge import KNOWLEDGE_PATH, read_knowledge

    assert "Knowledge version 0.0-test" not in alice_client.get(reverse("differential_knowledge"))
    other = dataclasses.replace(read_knowledge(KNOWLEDGE_PATH), version="0.0-test")
    monkeypatch.setattr(views, "load_knowledge", lambda: other)
    page = alice_client.get(reverse("differential_knowledge")).content.decode()
    assert "Knowledge version 0.0-test." in page


@pytest.mark.pdf
def test_the_referral_letter_of_a_miles_clinic_says_every_distance_in_miles(
    alice_client, patient, alice, clinic, monkeypatch
):
    """The red flag's triggers are worded from the stored ranking; one raised by a rule on the
    weekly distance (any knowledge version may have one) is in miles like the findings."""
    _miles(clinic)
    bone = signed_assessment(
        patient=patient,
        clinician=alice,
        findings={**PHT_FINDINGS, "bony_tenderness": True, "weekly_distance_km": 32.2},
    )
    stored = Assessment.raised_red_flags
    monkeypatch.setattr(
        Assessment,
        "raised_red_flags",
        lambda self: [
            {**f, "because": [*f["because"], "weekly_distance_km"]} for f in stored(self)
        ],
    )
    response = alice_client.get(reverse("refer_letter_pdf", args=[bone.pk]))
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))
    assert "Raised because:" in text
    assert text.count("Usual weekly running distance: 20 miles") == 2  # trigger and finding
    assert not KM_WORD.search(text), text


def _walkthrough(*options) -> dict:
    out = io.StringIO()
    call_command(
        "plan_walkthrough", "lumbar_referred_pain", "--weekly-km", "30", *options, stdout=out
    )
    return json.loads(out.getvalue())


def test_plan_walkthrough_prints_its_texts_in_miles_with_unit_mi():
    result = _walkthrough("--unit", "mi")
    texts = [result["running_start"]["note"], *(e["reason"] for e in result["events"])]
    assert "You ran about 18.6 miles a week" in result["running_start"]["note"]
    assert not [t for t in texts if KM_WORD.search(t)]
    assert result["unit"] == "mi" and result["weekly_km"] == 30  # the numbers stay km


def test_plan_walkthrough_prints_km_by_default():
    result = _walkthrough()
    assert result["unit"] == "km"
    assert "You ran about 30 km a week" in result["running_start"]["note"]
