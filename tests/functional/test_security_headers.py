"""Headers on every answer: no caching of patient data, a strict CSP, the usual hardening.

And no patient data in the URLs the app itself writes into its pages.
"""

import re

import pytest
from django.http import HttpResponse
from django.urls import reverse

from assessments.services import assessment_sign
from clinic.security import NoStoreMiddleware
from rehab.services import plan_create, plan_issue
from tests.factories import NOT_SCREENED, AssessmentFactory, PatientFactory
from tests.rehab_factories import PHT_FINDINGS

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

# Distinctive values, so finding them anywhere in a URL cannot be a coincidence.
SECRETS = {
    "first_name": "Zebulon",
    "last_name": "Quixotic",
    "email": "zebulon.q@runners.example",
    "record_number": "REC-98765",
}


@pytest.fixture
def plan(clinic, alice):
    patient = PatientFactory(clinic=clinic, **SECRETS)
    signed = assessment_sign(
        red_flag_screen_reason=NOT_SCREENED,
        assessment=AssessmentFactory(
            patient=patient,
            clinician=alice,
            **PHT_FINDINGS,
        ),
        clinician=alice,
    )
    plan = plan_create(assessment=signed, clinician=alice)
    plan_issue(plan=plan, clinician=alice, pdf=b"%PDF-1.4 test", link_pdf=b"%PDF-1.4 link")
    return plan


def _pages(plan):
    patient = plan.patient
    return [
        reverse("dashboard"),
        reverse("patient_detail", args=[patient.pk]),
        reverse("patient_edit", args=[patient.pk]),
        reverse("assessment_detail", args=[plan.assessment.pk]),
        reverse("plan_detail", args=[plan.pk]),
        reverse("prescription_edit", args=[plan.prescriptions.first().pk]),
    ]


def _policy(header: str) -> dict:
    parts = (p.strip().split(None, 1) for p in header.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def test_every_page_and_pdf_says_no_store_and_private(alice_client, plan):
    urls = [
        *_pages(plan),
        reverse("document_download", args=[plan.documents.first().pk]),
        reverse("patient_plan_page", args=[plan.patient_link.token]),
        reverse("patient_plan_pdf", args=[plan.patient_link.token]),
        reverse("login"),
        "/no-such-page/",
    ]
    for url in urls:
        cache_control = alice_client.get(url)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, url
        assert "public" not in cache_control, url


def test_static_files_may_be_cached(rf):
    """WhiteNoise answers static files above this middleware; the prefix check is the backstop."""
    middleware = NoStoreMiddleware(lambda request: HttpResponse("body { }"))
    assert "no-store" not in middleware(rf.get("/static/css/app.css")).get("Cache-Control", "")
    assert "no-store" in middleware(rf.get("/patients/1/"))["Cache-Control"]


def test_content_security_policy_allows_only_our_own_files(alice_client, plan):
    for url in [*_pages(plan), reverse("patient_plan_page", args=[plan.patient_link.token])]:
        policy = _policy(alice_client.get(url)["Content-Security-Policy"])
        assert {k: policy.get(k) for k in EXPECTED_CSP} == EXPECTED_CSP, url
        assert "unsafe-inline" not in str(policy) and "unsafe-eval" not in str(policy)


def test_hardening_headers_are_set(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_patient_link_pages_send_no_referrer_and_ask_not_to_be_indexed(client, plan):
    response = client.get(reverse("patient_plan_page", args=[plan.patient_link.token]))
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_pages_hold_no_inline_script_or_style(alice_client, plan):
    for url in [*_pages(plan), reverse("patient_plan_page", args=[plan.patient_link.token])]:
        html = alice_client.get(url).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "<style" not in html, url
        assert not re.search(r"\sstyle=", html), url
        assert not re.search(r"\son[a-z]+=", html), url


def test_links_and_forms_the_app_writes_carry_no_patient_data(alice_client, plan):
    urls = []
    for url in _pages(plan):
        html = alice_client.get(url).content.decode()
        urls += re.findall(r'(?:href|src|action|hx-post|hx-get)="([^"]*)"', html)
    assert len(urls) > 50
    for found in urls:
        for value in SECRETS.values():
            assert value.lower() not in found.lower(), found


def test_dashboard_search_stays_on_get_and_its_results_are_never_cached(alice_client, plan):
    """Decision (docs/security.md): search by GET, results no-store, URL never leaves the site."""
    response = alice_client.get(reverse("dashboard"), {"q": "Quixotic"})
    assert "Zebulon" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "same-origin"
    # The results link to the patient by id, not by what was searched for.
    assert (
        f'href="{reverse("patient_detail", args=[plan.patient.pk])}"' in response.content.decode()
    )
