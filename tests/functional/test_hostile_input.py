"""Hostile text typed into every free-text field, through the real views, comes back inert.

Each value goes in through the form a person would use and is read back on every page that
shows it, the Django admin and the patient's own page included: it must appear escaped (as
text), never as markup. Too-long values and NUL characters are refused with a message naming
the field, and nothing is saved. The browser side (no script runs under the CSP) is in
tests/e2e/test_csp_browser.py.
"""

import io
import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from assessments.forms import NOTE_MAX_LENGTH
from assessments.models import Assessment
from clinic.models import Patient
from rehab.documents import issued_document_bytes
from rehab.models import NOTES_MAX_LENGTH, Plan, ProgressionDecision, SessionLog
from rehab.selectors import progression_proposals
from tests.factories import NOT_SCREENED, UserFactory, verified_login
from tests.rehab_factories import PHT_FINDINGS, as_posted

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "attribute": '" onmouseover="alert(1)',
    "javascript_url": "javascript:alert(1)",
    "file_image": '<img src="file:///etc/passwd">',
    "onerror_image": "<img src=x onerror=alert(1)>",
    "metadata_url": "http://169.254.169.254/latest/meta-data/",
    "template": "{{ 7*7 }} {% debug %}",
    "sql": "'; DROP TABLE clinic_patient; --",
    "rtl_override": "Rosa \u202eexe.fdp\u202c Runner",
    "long": ("A long note. " * 800).strip(),  # 10,399 characters
}
EVERYTHING = " ".join(v for k, v in HOSTILE.items() if k != "long")


class _Markup(HTMLParser):
    """The elements and attributes a browser would build from the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                ("javascript:", "file:", "http://169.254")
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "script" and not names.get("src"):
            self.problems.append("inline <script>")
        if tag == "img" and not (names.get("src") or "").startswith(("/static/", "data:")):
            self.problems.append(f"<img src={names.get('src')!r}>")


def assert_inert(html: str, where: str = "") -> None:
    """No markup that anyone typed survives as markup."""
    lowered = html.lower()
    for raw in ("<script>alert", "<img src=x", '<img src="file:'):
        assert raw not in lowered, f"{raw!r} came back raw on {where}"
    parser = _Markup()
    parser.feed(html)
    assert parser.problems == [], f"{where}: {parser.problems}"


def _get(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def _check(client, urls, value) -> None:
    """Inert on every page; shown (escaped) on at least one of them."""
    pages = {url: _get(client, url) for url in urls}
    for url, html in pages.items():
        assert_inert(html, url)
    assert any(escape(value) in html for html in pages.values()), f"{value[:40]!r} not shown"


@pytest.fixture
def root_client(client):
    """The superuser's admin view of the same rows (a second client, a second session)."""
    from django.test import Client

    return verified_login(Client(), UserFactory(username="root", is_staff=True, is_superuser=True))


def _patient_form(clinic, **overrides):
    data = {
        "clinic": clinic.pk,
        "first_name": "Rosa",
        "last_name": "Runner",
        "date_of_birth": "1988-04-02",
        "sex": "female",
        "email": "rosa@example.com",
        "record_number": "R-1",
        "notes": "",
    }
    return {**data, **overrides}


def _signed_plan(client, patient, reason=""):
    """Assessment, signature and plan, each through its view, as a PT would click them."""
    response = client.post(
        reverse("assessment_create", args=[patient.pk]),
        {"assessed_on": "2026-11-20", "side": "right", **as_posted(PHT_FINDINGS)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assessment = Assessment.objects.get(patient=patient)
    ranking = client.get(assessment.get_absolute_url()).context["ranking"]
    causes = [c["code"] for c in ranking["causes"]]
    sign = {
        "working_diagnosis": causes[0],
        "working_diagnosis_reason": reason,
        "red_flag_screen_reason": NOT_SCREENED,
    }
    if reason:
        # Choosing the second cause makes the reason required and shown.
        sign["working_diagnosis"] = causes[1]
    assert client.post(reverse("assessment_sign", args=[assessment.pk]), sign).status_code == 302
    assessment.refresh_from_db()
    if assessment.working_diagnosis != "proximal_hamstring_tendinopathy":
        return assessment, None
    assert client.post(reverse("plan_create", args=[assessment.pk])).status_code == 302
    return assessment, Plan.objects.get(assessment=assessment)


@pytest.fixture
def plan(alice_client, patient):
    return _signed_plan(alice_client, patient)[1]


# --- Patient details -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_patient_details_come_back_escaped(alice_client, root_client, clinic, kind):
    value = HOSTILE[kind]
    data = _patient_form(
        clinic,
        first_name=value[:100],
        last_name=value[:100],
        record_number=value[:40],
        notes=value,
        email=f'"{value[:50]}"@example.com' if kind == "script" else "rosa@example.com",
    )
    response = alice_client.post(reverse("patient_create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    patient = Patient.objects.get()
    assert patient.notes == value.replace("\r\n", "\n")  # stored as typed
    urls = [
        reverse("dashboard"),
        # The search term is echoed back into the page: a reflected-XSS check too.
        f"{reverse('dashboard')}?{urlencode({'q': value[:30]})}",
        reverse("patient_detail", args=[patient.pk]),
        reverse("patient_edit", args=[patient.pk]),
        reverse("assessment_create", args=[patient.pk]),
    ]
    _check(alice_client, urls, value[:100])
    _check(alice_client, urls[2:], value)
    admin_urls = [
        reverse("admin:clinic_patient_changelist"),
        reverse("admin:clinic_patient_change", args=[patient.pk]),
        reverse("admin:clinic_patient_history", args=[patient.pk]),
    ]
    _check(root_client, admin_urls, value[:100])


def test_hostile_text_leaves_the_database_as_it_was(alice_client, clinic):
    alice_client.post(
        reverse("patient_create"), _patient_form(clinic, last_name=HOSTILE["sql"], notes=EVERYTHING)
    )
    alice_client.post(
        reverse("patient_create"),
        _patient_form(clinic, record_number="R-2", first_name="Second", last_name="Patient"),
    )
    assert Patient.objects.count() == 2
    assert Patient.objects.get(record_number="R-1").last_name == HOSTILE["sql"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "x" * 101, "at most 100 characters"),
        ("last_name", HOSTILE["long"], "at most 100 characters"),
        ("record_number", HOSTILE["long"], "at most 40 characters"),
        ("notes", "before\x00after", "Null characters are not allowed"),
        ("email", HOSTILE["script"], "Enter a valid email address"),
        ("email", HOSTILE["javascript_url"], "Enter a valid email address"),
    ],
)
def test_refused_patient_text_names_the_field_and_saves_nothing(
    alice_client, clinic, field, value, message
):
    response = alice_client.post(reverse("patient_create"), _patient_form(clinic, **{field: value}))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert_inert(response.content.decode(), "patient form with errors")
    assert not Patient.objects.exists()


# --- Working diagnosis reason --------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_working_diagnosis_reason_comes_back_escaped(
    alice_client, root_client, patient, kind
):
    assessment, _ = _signed_plan(alice_client, patient, reason=HOSTILE[kind])
    assert assessment.working_diagnosis_reason == HOSTILE[kind].strip()
    _check(
        alice_client,
        [assessment.get_absolute_url(), reverse("patient_detail", args=[patient.pk])],
        HOSTILE[kind].strip(),
    )
    _check(
        root_client,
        [reverse("admin:assessments_assessment_change", args=[assessment.pk])],
        HOSTILE[kind].strip(),
    )


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_clinical_note_comes_back_escaped_or_is_refused_when_too_long(
    alice_client, root_client, patient, kind
):
    text = HOSTILE[kind]
    data = {
        "assessed_on": "2026-11-20",
        "side": "right",
        "note_subjective": text,
        "note_plan": text,
    }
    response = alice_client.post(reverse("assessment_create", args=[patient.pk]), data)
    if len(text) > NOTE_MAX_LENGTH:
        assert set(response.context["form"].errors) == {"note_subjective", "note_plan"}
        assert not Assessment.objects.exists()
        assert_inert(response.content.decode(), "refused note")
        return
    assessment = Assessment.objects.get()
    assert (assessment.note_subjective, assessment.note_plan) == (text.strip(), text.strip())
    _check(
        alice_client,
        [assessment.get_absolute_url(), reverse("assessment_edit", args=[assessment.pk])],
        text.strip(),
    )
    _check(
        root_client,
        [reverse("admin:assessments_assessment_change", args=[assessment.pk])],
        text.strip(),
    )


# --- Prescription note, load and tempo -----------------------------------------------------


def _prescription_form(prescription, **overrides):
    data = {
        "step_code": prescription.step_code,
        "sets": prescription.sets or "",
        "reps": prescription.reps,
        "hold_seconds": prescription.hold_seconds or "",
        "tempo": prescription.tempo,
        "rest_seconds": prescription.rest_seconds or "",
        "load": prescription.load,
        "sessions_per_week": prescription.sessions_per_week or "",
        "note": prescription.note,
    }
    return {**data, **overrides}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_prescription_text_comes_back_escaped(
    alice_client, root_client, client, plan, kind
):
    value = HOSTILE[kind]
    prescription = plan.prescriptions.exclude(ladder="running").first()
    url = reverse("prescription_edit", args=[prescription.pk])
    form = _prescription_form(prescription, note=value, load=value[:200], tempo=value[:60])
    assert alice_client.post(url, form).status_code == 302
    prescription.refresh_from_db()
    assert (prescription.note, prescription.load) == (value, value[:200])
    _check(alice_client, [plan.get_absolute_url(), url], value)
    token = plan.patient_link.token
    html = _get(client, reverse("patient_plan_page", args=[token]))  # the patient's own page
    assert_inert(html, "patient page")
    assert escape(value) in html
    _check(root_client, [reverse("admin:rehab_plan_change", args=[plan.pk])], value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("load", "x" * 201), ("tempo", "x" * 61), ("note", "a\x00b")],
)
def test_refused_prescription_text_names_the_field_and_saves_nothing(
    alice_client, plan, field, value
):
    prescription = plan.prescriptions.exclude(ladder="running").first()
    before = (prescription.note, prescription.load, prescription.tempo)
    response = alice_client.post(
        reverse("prescription_edit", args=[prescription.pk]),
        _prescription_form(prescription, **{field: value}),
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    prescription.refresh_from_db()
    assert (prescription.note, prescription.load, prescription.tempo) == before


@pytest.mark.pdf
def test_hostile_prescription_text_is_plain_text_in_the_issued_pdf(alice_client, plan):
    prescription = plan.prescriptions.exclude(ladder="running").first()
    alice_client.post(
        reverse("prescription_edit", args=[prescription.pk]),
        _prescription_form(prescription, note=EVERYTHING),
    )
    assert alice_client.post(reverse("plan_issue", args=[plan.pk])).status_code == 302
    pdf = issued_document_bytes(plan.documents.get())
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    # The markup is printed as the characters typed (so nothing was fetched or run).
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", "<script>alert(1)</script>") in flat
    assert re.sub(r"\s+", "", '<img src="file:///etc/passwd">') in flat


# --- Session logs: the clinician's and the patient's ---------------------------------------


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_session_log_text_comes_back_escaped(alice_client, root_client, client, plan, kind):
    value = HOSTILE[kind][:NOTES_MAX_LENGTH]  # longer notes are refused (below)
    log = {"session_date": plan.starts_on.isoformat(), "exercise_pain": "2", "completed": "True"}
    response = alice_client.post(
        reverse("session_log_create", args=[plan.pk]),
        {**log, "notes": value, "load_used": value[:200]},
    )
    assert response.status_code == 302
    token = plan.patient_link.token
    response = client.post(
        reverse("patient_plan_page", args=[token]), {**log, "notes": value, "load_used": "x"}
    )
    assert response.status_code == 302
    assert SessionLog.objects.filter(plan=plan, notes=value).count() == 2
    pages = [plan.get_absolute_url(), reverse("patient_detail", args=[plan.patient.pk])]
    for url in pages:
        assert_inert(_get(alice_client, url), url)
    assert_inert(_get(client, reverse("patient_plan_page", args=[token])), "patient page")
    for log_row in SessionLog.objects.filter(plan=plan):
        _check(root_client, [reverse("admin:rehab_sessionlog_change", args=[log_row.pk])], value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("load_used", "x" * 201),
        ("notes", "a\x00b"),
        ("notes", "x" * (NOTES_MAX_LENGTH + 1)),
        ("exercise_pain", "<b>"),
    ],
)
def test_refused_session_log_names_the_field_and_saves_nothing(client, plan, field, value):
    token = plan.patient_link.token
    data = {"session_date": plan.starts_on.isoformat(), "exercise_pain": "2", field: value}
    response = client.post(reverse("patient_plan_page", args=[token]), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert_inert(response.content.decode(), "patient page with errors")
    assert not SessionLog.objects.exists()


# --- Override reason -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_override_reason_comes_back_escaped(alice_client, root_client, plan, kind):
    value = HOSTILE[kind]
    from rehab import engine

    # The running ladder: phase 1 keeps the bridge on its first step, so it has no other choice.
    prescription, proposal = next(
        (p, q) for p, q in progression_proposals(plan=plan) if p.ladder == "running"
    )
    ceiling = engine.step(proposal.phase_ceiling).position if proposal.phase_ceiling else 99
    other = next(
        s.code
        for s in engine.ladder_steps(prescription.ladder)
        if s.code != proposal.target_step and s.position <= ceiling
    )
    response = alice_client.post(
        reverse("progression_decide", args=[prescription.pk]),
        {"to_step": other, "override_reason": value},
    )
    assert response.status_code == 302
    decision = ProgressionDecision.objects.get()
    assert decision.override_reason == value.strip()
    for url in (plan.get_absolute_url(), reverse("patient_detail", args=[plan.patient.pk])):
        assert_inert(_get(alice_client, url), url)
    _check(
        root_client,
        [reverse("admin:rehab_progressiondecision_change", args=[decision.pk])],
        value.strip(),
    )
