"""In a real browser: the app works under its Content Security Policy, and typed text never runs.

Two layers are checked apart. Escaping: hostile text comes back as text, on every page that
shows it. The CSP: even markup that did slip through (injected here on purpose) cannot run.
"""

import pytest
from django.contrib.auth.models import Permission

from assessments.services import assessment_sign
from rehab import engine
from rehab.selectors import progression_proposals
from rehab.services import (
    plan_create,
    plan_issue,
    progression_decide,
    session_log_create,
)
from tests.e2e.conftest import CLINICIAN_PASSWORD, csp_violations
from tests.factories import NOT_SCREENED, AssessmentFactory, PatientFactory, UserFactory
from tests.rehab_factories import PHT_FINDINGS

pytestmark = pytest.mark.e2e


# Each would set window.__xss if the browser ever ran it.
XSS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=1">',
    '" onmouseover="window.__xss=1" autofocus onfocus="window.__xss=1" x="',
    "'><svg onload=window.__xss=1>",
    "javascript:window.__xss=1",
]
ALL_XSS = " ".join(XSS)


def _record(patient_clinic, clinician, *, hostile: bool):
    """A patient with a signed assessment, a plan with a PDF, a logged session, a decision."""
    text = ALL_XSS if hostile else "Plain words"
    patient = PatientFactory(
        clinic=patient_clinic,
        first_name=XSS[0] if hostile else "Rosa",
        last_name=XSS[1][:100] if hostile else "Runner",
        notes=text,
    )
    draft = AssessmentFactory(patient=patient, clinician=clinician)
    signed = AssessmentFactory(patient=patient, clinician=clinician, **PHT_FINDINGS)
    signed = assessment_sign(
        red_flag_screen_reason=NOT_SCREENED,
        assessment=signed,
        clinician=clinician,
        working_diagnosis_reason=text,
    )
    plan = plan_create(assessment=signed, clinician=clinician)
    prescription = plan.prescriptions.exclude(ladder="running").first()
    prescription.note = text
    prescription.load = ALL_XSS[:200] if hostile else "Body weight"
    prescription.tempo = XSS[3][:60] if hostile else "3-0-3"
    prescription.save()
    session_log_create(
        plan=plan,
        recorded_by=clinician,
        session_date=plan.starts_on,
        exercise_pain=2,
        load_used=XSS[1] if hostile else "10 kg",
        notes=text,
    )
    session_log_create(plan=plan, session_date=plan.starts_on, exercise_pain=1, notes=text)
    running = plan.prescriptions.get(ladder="running")  # phase 1 holds the bridge where it is
    proposal = dict(progression_proposals(plan=plan))[running]
    ceiling = engine.step(proposal.phase_ceiling).position if proposal.phase_ceiling else 99
    other = next(
        step.code
        for step in engine.ladder_steps(running.ladder)
        if step.code != proposal.target_step and step.position <= ceiling
    )
    progression_decide(
        prescription=running,
        proposal=proposal,
        clinician=clinician,
        to_step=other,
        override_reason=text,
    )
    plan_issue(plan=plan, clinician=clinician, pdf=b"%PDF-1.4 test")
    return {"patient": patient, "draft": draft, "signed": signed, "plan": plan}


def _pages(record):
    plan = record["plan"]
    return [
        "/",
        f"/patients/{record['patient'].pk}/",
        f"/patients/{record['patient'].pk}/edit/",
        f"/assessments/{record['signed'].pk}/",
        f"/plans/{plan.pk}/",
        f"/prescriptions/{plan.prescriptions.exclude(ladder='running').first().pk}/",
    ]


_POKE_EVERY_ELEMENT = """() => document.querySelectorAll('*').forEach(el => {
  for (const type of ['mouseover', 'mouseenter', 'focus', 'click']) {
    if (type === 'click' && el.closest('a, button, form, input, label, summary, select')) continue;
    el.dispatchEvent(new Event(type, {bubbles: type !== 'focus'}));
  }
})"""


def _inline_handlers(page) -> list[str]:
    """Every on* attribute in the live DOM (our templates have none)."""
    return page.evaluate(
        """[...document.querySelectorAll('*')].flatMap(el =>
             [...el.attributes].filter(a => a.name.startsWith('on'))
               .map(a => el.tagName + ' ' + a.name))"""
    )


def test_clinician_pages_run_without_csp_violations(page, login, clinician):
    record = _record(clinician.memberships.get().clinic, clinician, hostile=False)
    login(page, clinician.username, CLINICIAN_PASSWORD)
    for url in _pages(record):
        page.goto(url)
        assert csp_violations(page) == [], url
        assert page.evaluate("document.querySelectorAll('style').length") == 0, url
    token = record["plan"].patient_link.token
    page.goto(f"/p/{token}/")
    assert "Rosa" in page.inner_text("h1")
    assert csp_violations(page) == []
    assert not [e for e in page.console_errors if "Content Security Policy" in e]


def test_assessment_form_updates_its_differential_through_htmx_under_the_csp(
    page, login, clinician
):
    record = _record(clinician.memberships.get().clinic, clinician, hostile=False)
    login(page, clinician.username, CLINICIAN_PASSWORD)
    page.goto(f"/assessments/{record['draft'].pk}/edit/")
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    # The draft has no findings: the panel waits for onset and location before it ranks.
    page.locator("#not-enough-information").wait_for()
    with page.expect_response(lambda r: "/assessments/preview/" in r.url) as preview:
        page.check("input[name=onset][value=gradual]")
    assert preview.value.status == 200
    page.check("input[name=pain_locations][value=sit_bone]")
    page.locator("#ranked-causes").wait_for()
    before = page.inner_text("#ranked-causes")
    page.click("#section-examination > summary")  # a section beyond the core screen opens on tap
    page.check("input[name=bent_knee_stretch][value=positive]")
    page.wait_for_function(
        "t => document.querySelector('#ranked-causes').innerText !== t", arg=before
    )
    assert csp_violations(page) == []
    assert page.evaluate("document.querySelectorAll('style').length") == 0


def test_admin_pages_run_without_csp_violations(page, login, clinician):
    clinic = clinician.memberships.get().clinic
    record = _record(clinic, clinician, hostile=False)
    admin = UserFactory(username="e2e.admin", clinic=clinic, is_staff=True, password="admin-pass")
    admin.memberships.update(role="clinic_admin")
    admin.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["clinic", "assessments", "rehab"])
    )
    login(page, "e2e.admin", "admin-pass")
    patient = record["patient"].pk
    for url in (
        "/admin/",
        "/admin/clinic/patient/",
        f"/admin/clinic/patient/{patient}/change/",
        "/admin/clinic/patient/add/",
        f"/admin/assessments/assessment/{record['signed'].pk}/change/",
        "/admin/rehab/plan/",
    ):
        page.goto(url)
        assert csp_violations(page) == [], url
    # Known and harmless: django-simple-history's history list carries style="border-top: 0"
    # (a cosmetic border); the browser drops that one attribute and nothing else is blocked.
    page.goto(f"/admin/clinic/patient/{patient}/history/")
    assert {v["directive"] for v in csp_violations(page)} <= {"style-src-attr"}


def test_hostile_text_is_shown_as_text_and_never_runs(page, login, clinician):
    record = _record(clinician.memberships.get().clinic, clinician, hostile=True)
    login(page, clinician.username, CLINICIAN_PASSWORD)
    token = record["plan"].patient_link.token
    for url in [*_pages(record), f"/p/{token}/"]:
        page.goto(url)
        page.evaluate(_POKE_EVERY_ELEMENT)  # would fire any onmouseover/onfocus that slipped in
        assert page.evaluate("typeof window.__xss") == "undefined", url
        assert _inline_handlers(page) == [], url
        assert csp_violations(page) == [], url  # nothing even tried: escaping held
    page.goto(f"/patients/{record['patient'].pk}/")
    assert "<script>window.__xss=1</script>" in page.inner_text("main")


def test_patient_form_typed_in_the_browser_keeps_hostile_text_inert(page, login, clinician):
    login(page, clinician.username, CLINICIAN_PASSWORD)
    page.goto("/patients/new/")
    page.fill("#id_first_name", XSS[0])
    page.fill("#id_last_name", XSS[1])
    page.fill("#id_date_of_birth", "1990-05-04")
    page.select_option("#id_sex", "female")
    page.fill("#id_record_number", XSS[2][:40])
    page.fill("#id_notes", ALL_XSS)
    with page.expect_navigation():
        page.click("input[type=submit], button[type=submit] >> nth=-1")
    assert "/patients/" in page.url and "/new/" not in page.url
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert XSS[0] in page.inner_text("h1")
    assert _inline_handlers(page) == []


def test_csp_stops_markup_that_slipped_through(page, login, clinician):
    """The second layer: inject an inline handler and an inline script as if escaping failed."""
    login(page, clinician.username, CLINICIAN_PASSWORD)
    page.goto("/")
    page.evaluate(
        """() => {
             document.querySelector('main').insertAdjacentHTML(
               'beforeend', '<img src="/static/favicon.svg" onload="window.__xss=1">');
             const script = document.createElement('script');
             script.textContent = 'window.__xss = 2';
             document.body.appendChild(script);
           }"""
    )
    page.wait_for_function("window.__cspViolations.length >= 2")
    assert page.evaluate("typeof window.__xss") == "undefined"
    directives = {v["directive"] for v in csp_violations(page)}
    assert {"script-src-attr", "script-src-elem"} <= directives
