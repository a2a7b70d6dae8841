"""The patient PDF: the HTML cheaply, then a few real PDFs read back with pypdf."""

import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from rehab import engine
from rehab.documents import issued_document_bytes
from rehab.models import IssuedDocument, Prescription
from rehab.pdf import (
    ASSET_BASE_URL,
    TEMPLATE,
    PdfAssetRefused,
    StaticAssetFetcher,
    plan_pdf_context,
    render_plan_html,
    render_plan_pdf,
)
from rehab.pdf.context import call_groups
from rehab.pdf.render import laid_out_plan, split_cards
from rehab.services import plan_issue, plan_set_cleared_to_run, prescription_set_step
from tests.rehab_factories import plan_for

HOSTILE_NOTE = (
    '<img src="file:///etc/passwd"> <img src="http://example.com/x.png"> '
    "http://example.com/x.png <script>alert(1)</script>"
)
ROOT = Path(__file__).resolve().parents[2]
A4 = (595.28, 841.89)
LETTER = (612.0, 792.0)


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice)


@pytest.fixture
def phase_three_plan(patient, alice):
    """Phase 3 of the tendinopathy protocol: bridge, hip thrust and hinge, plus running."""
    return plan_for(patient=patient, clinician=alice, phase=3)


def prescription(plan, ladder) -> Prescription:
    return plan.prescriptions.get(ladder=ladder)


def read_pdf(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data))


def pdf_text(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- HTML ---------------------------------------------------------------------------------------


def test_page_one_names_the_patient_clinic_clinician_and_date(plan, alice):
    alice.first_name, alice.last_name = "Alice", "Physio"
    alice.save()
    html = render_plan_html(plan=plan)
    assert "Rosa Runner" in html
    assert "Riverside" in html
    assert "Alice Physio" in html
    assert timezone.localdate().strftime("%B %Y") in html


def test_page_one_explains_the_working_diagnosis_in_plain_words(plan):
    protocol = engine.protocol("proximal_hamstring_tendinopathy")
    html = render_plan_html(plan=plan)
    assert protocol.name in html
    assert "It is not torn." in html
    assert "A tendon that has become painful and less able to take load." in html


def test_timeline_shows_every_phase_and_marks_the_current_one(phase_three_plan):
    html = render_plan_html(plan=phase_three_plan)
    for phase in engine.protocol("proximal_hamstring_tendinopathy").phases:
        assert phase.name in html
    assert "Phase 3 · you are here" in html
    assert "Phase 1 · done" in html


def test_cards_use_the_physios_dose_and_note_not_the_engine_defaults(plan):
    bridge = prescription(plan, "bridge")
    bridge.sets, bridge.hold_seconds, bridge.rest_seconds = 4, 30, 90
    bridge.note = "Do these before your run as well."
    bridge.save()
    html = render_plan_html(plan=plan)
    assert "4 × 30 s hold · rest 1 min 30 s · 7× a week" in html
    assert "Do these before your run as well." in html
    assert "5 × 45 s hold" not in html  # the step's standard dose
    assert "Where these steps give amounts, follow “Your dose” above." in html


def test_every_prescribed_exercise_gets_a_card_with_steps_cues_feel_and_progression(
    phase_three_plan,
):
    html = render_plan_html(plan=phase_three_plan)
    for item in phase_three_plan.prescriptions.all():
        step = engine.step(item.step_code)
        assert step.name in html
        assert step.how_to[0] in html
        assert step.cues[0] in html
        assert step.should_feel in html
        following = engine.next_step(
            diagnosis="proximal_hamstring_tendinopathy", phase=3, step_code=step.code
        )
        if following.in_phase or following.step is None:  # advice: never stepped up
            assert step.progress_when in html
        else:  # at the phase's ceiling: the card says which phase the next step comes with
            assert f"The next step, {following.step.name}, comes with phase 4" in html
        assert f'src="{step.static_path}"' in html
    # Three exercises, phase 1's morning check and sitting advice (issue 11), and running.
    assert html.count('<article class="card') == 6


def test_running_now_reads_in_black_and_white_by_label_and_shape(plan):
    html = render_plan_html(plan=plan)  # phase 1: continuous easy running, modified
    assert "Running now" in html
    assert "CHANGE" in html
    assert "<title>Change sign, triangle</title>" in html
    assert "Keep running, but changed." in html


@pytest.mark.parametrize(
    ("step_code", "label", "shape"),
    [
        ("run_none_cross_train", "STOP", "octagon"),
        ("run_brisk_walk", "STOP", "octagon"),
        ("run_walk_run_short", "CHANGE", "triangle"),
        ("run_strides_speed", "GO", "circle"),
    ],
)
def test_running_now_follows_the_prescribed_running_step(patient, alice, step_code, label, shape):
    plan = plan_for(patient=patient, clinician=alice, phase=4)  # the last: every step allowed
    prescription_set_step(prescription=prescription(plan, "running"), step_code=step_code)
    context = plan_pdf_context(plan=plan)
    assert (context["running"].now.label, context["running"].now.shape) == (label, shape)


def test_bone_stress_injury_not_cleared_to_run_is_told_to_stop_running(patient, alice):
    plan = plan_for(
        patient=patient,
        clinician=alice,
        working_diagnosis="bone_stress_injury",
        reason="MRI shows a sacral stress reaction.",
        phase=3,  # walk-run comes with phase 3, once cleared
    )
    # Without the clearance the phase starts below any running, and no running step is taken.
    assert not engine.step(prescription(plan, "running").step_code).involves_running
    with pytest.raises(ValidationError):
        prescription_set_step(
            prescription=prescription(plan, "running"), step_code="run_walk_run_short"
        )
    html = render_plan_html(plan=plan)
    assert "No running until a doctor clears you." in html
    assert "Do not hop or jump to test the leg." in html
    assert "You cannot hop on the painful leg without pain." not in html
    plan_set_cleared_to_run(plan=plan, cleared=True)
    assert prescription(plan, "running").step_code == "run_walk_run_short"
    assert plan_pdf_context(plan=plan)["running"].now.label == "CHANGE"


def test_stop_and_call_lists_red_flags_and_the_seeds_see_a_professional_triggers(plan):
    html = render_plan_html(plan=plan)
    assert "When to stop and call" in html
    assert "Go to an emergency department now" in html
    assert "controlling your bladder or bowels" in html
    assert "Swelling of the calf or thigh with warmth or redness." in html
    assert "if pain starts to go down the leg" in html
    for trigger in engine.knowledge().patient.review_signs:
        assert trigger.text in html


@pytest.mark.parametrize(
    "protocol", [p for p in engine.protocols() if not p.refer_first], ids=lambda p: p.diagnosis
)
def test_each_protocol_safety_line_is_printed_exactly_once_with_leg_travel_covered(protocol):
    groups = call_groups(protocol=protocol, tissue=engine.tissue(protocol.tissue))
    items = [item for group in groups for item in group.items]
    for line in protocol.safety_net:
        assert items.count(line) == 1
    assert len(items) == len(set(items))
    assert sum("travel" in item for item in items) == 1


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (3, [("Green", "0–3"), ("Amber", "4"), ("Red", "5–10")]),  # tendon
        (4, [("Green", "0–4"), ("Amber", "—"), ("Red", "5–10")]),  # strain
        (0, [("Green", "0"), ("Amber", "—"), ("Red", "1–10")]),  # bone: pain-free only
    ],
)
def test_pain_zones_follow_the_tissue_pain_limit(limit, expected):
    zones = engine.pain_zones(pain_limit=limit, stop_pain=5)
    assert [(zone.name, zone.range_text) for zone in zones] == expected


def test_pain_guide_uses_the_plans_tissue_limit(plan):
    html = render_plan_html(plan=plan)
    assert "Up to <strong>3 out of 10</strong> is fine for tendon pain" in html
    assert html.count('class="zone-green"') == 4  # 0, 1, 2 and 3 on the scale


def test_schedule_and_log_sheet_are_printed(phase_three_plan):
    html = render_plan_html(plan=phase_three_plan)
    assert "Week by week" in html
    assert "Week 7" in html and "Week 12" in html  # phase 3 runs weeks 7-12
    assert "Your log sheet" in html
    assert html.count("better · same · worse") == 18


def test_document_has_a_language_a_title_and_no_bootstrap(plan):
    html = render_plan_html(plan=plan)
    assert '<html lang="en"' in html
    assert "<title>Your rehab plan — Rosa Runner</title>" in html
    assert "bootstrap" not in html.lower()
    assert 'href="rehab/pdf/plan.css"' in html


def test_patient_link_is_printed_as_text_and_qr_code_from_the_base_url(plan):
    token = plan.patient_link.token
    html = render_plan_html(plan=plan, base_url="https://plans.example.org/")
    assert f"plans.example.org/p/{token}/" in html
    assert '<svg viewBox="0 0 ' in html and 'class="qr"' in html
    assert "QR code: scan it to open your plan online" in html


def test_patient_link_defaults_to_the_setting(plan, settings):
    settings.PATIENT_LINK_BASE_URL = "https://clinic.example.net"
    context = plan_pdf_context(plan=plan)
    assert context["link_url"] == f"https://clinic.example.net/p/{plan.patient_link.token}/"


def test_revoked_patient_link_is_not_printed(plan):
    link = plan.patient_link
    link.revoked_at = timezone.now()
    link.save()
    html = render_plan_html(plan=plan)
    assert link.token not in html
    assert 'class="qr"' not in html


def test_hostile_note_is_escaped_text(plan):
    bridge = prescription(plan, "bridge")
    bridge.note = HOSTILE_NOTE
    bridge.save()
    html = render_plan_html(plan=plan)
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
    assert "&lt;script&gt;" in html
    assert '<img src="file:' not in html
    assert '<img src="http' not in html
    assert "<script" not in html


def test_context_builder_costs_two_queries_and_the_template_none(
    phase_three_plan, django_assert_num_queries
):
    with django_assert_num_queries(2):
        context = plan_pdf_context(plan=phase_three_plan)
    with django_assert_num_queries(0):
        html = render_to_string(TEMPLATE, context)
    assert "Barbell hip thrust" in html


# --- The URL fetcher ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/rehab/pdf/plan.css",
        "data:image/svg+xml,<svg/>",
        "ftp://example.com/x.css",
        "https://assets.pdf.invalid.example.com/rehab/pdf/plan.css",
        "https://assets.pdf.invalid/../../etc/passwd",
        "https://assets.pdf.invalid/%2e%2e/%2e%2e/etc/passwd",
        "https://assets.pdf.invalid/rehab/../../config/settings.py",
        "https://assets.pdf.invalid//etc/passwd",
        "https://assets.pdf.invalid/rehab/pdf/plan.css?x=1",
        "https://assets.pdf.invalid/config/settings.py",
        "https://assets.pdf.invalid/rehab/illustrations/not_a_step.svg",
    ],
)
def test_fetcher_refuses_anything_but_the_projects_static_assets(url):
    with pytest.raises(PdfAssetRefused):
        StaticAssetFetcher().fetch(url)


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("rehab/pdf/plan.css", "text/css"),
        ("fonts/dejavu/DejaVuSans.ttf", "font/ttf"),
        ("rehab/illustrations/bridge_isometric_double.svg", "image/svg+xml"),
    ],
)
def test_fetcher_serves_static_files_from_the_finders(path, content_type):
    response = StaticAssetFetcher().fetch(ASSET_BASE_URL + path)
    assert response.content_type == content_type
    assert response.read()


# --- Real PDFs ----------------------------------------------------------------------------------


@pytest.mark.pdf
def test_pdf_reads_back_name_exercises_doses_running_advice_stop_section_and_link(
    phase_three_plan,
):
    cards = plan_pdf_context(plan=phase_three_plan)["schedule"]["cards"]
    reader = read_pdf(render_plan_pdf(plan=phase_three_plan, base_url="http://127.0.0.1:8000"))
    assert 5 <= len(reader.pages) <= 10
    text = pdf_text(reader)
    flat = squashed(text)
    assert "Rosa Runner" in text
    assert len(cards) == 6
    for card in cards:  # exercises, activities and running, each with the dose as prescribed
        assert squashed(card.step.name) in flat
        assert squashed(card.dose_summary) in flat
    assert "Running now" in text
    assert "CHANGE" in text
    assert "Rules for every run" in text
    assert "When to stop and call" in text
    assert "emergency department" in text
    assert squashed(f"127.0.0.1:8000/p/{phase_three_plan.patient_link.token}/") in flat
    assert "Page 1 of" in text


@pytest.mark.pdf
def test_pdf_is_a4_by_default_and_us_letter_from_the_clinic_setting(plan, clinic):
    box = read_pdf(render_plan_pdf(plan=plan)).pages[0].mediabox
    assert (round(float(box.width), 2), round(float(box.height), 2)) == A4
    clinic.pdf_page_size = "Letter"
    clinic.save()
    reader = read_pdf(render_plan_pdf(plan=plan))
    sizes = {
        (round(float(p.mediabox.width), 2), round(float(p.mediabox.height), 2))
        for p in reader.pages
    }
    assert sizes == {LETTER}


@pytest.mark.pdf
def test_the_same_plan_renders_to_identical_bytes(plan):
    assert render_plan_pdf(plan=plan) == render_plan_pdf(plan=plan)


@pytest.mark.pdf
def test_pdf_is_tagged_with_language_title_alt_text_and_bundled_fonts(plan, caplog):
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        reader = read_pdf(render_plan_pdf(plan=plan))
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")]
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert root["/MarkInfo"]["/Marked"]
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert reader.metadata.title == "Your rehab plan — Rosa Runner"
    figures = []

    def walk(node):
        node = node.get_object()
        if isinstance(node, pypdf.generic.DictionaryObject):
            if node.get("/S") == "/Figure":
                figures.append(node.get("/Alt"))
            children = node.get("/K")
            for child in children if isinstance(children, list) else [children]:
                if child is not None:
                    walk(child)

    walk(root["/StructTreeRoot"])
    assert figures and all(figures)
    fonts = {
        str(font.get_object()["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"].get("/Font", {}).values()
    }
    # The page's own text is in the bundled "Plan Sans"; drawings' labels name DejaVu Sans.
    assert any("Plan-Sans" in name for name in fonts)
    assert all("Plan-Sans" in name or "DejaVu-Sans" in name for name in fonts)


@pytest.mark.pdf
def test_pdf_text_needs_no_system_fonts(tmp_path):
    """With fontconfig given no fonts at all, the bundled fonts still set the text."""
    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    html = (
        '<html lang="en"><head><title>t</title><link rel="stylesheet" href="rehab/pdf/plan.css">'
        "</head><body><p>Bundled <b>font</b></p>"
        '<img src="rehab/illustrations/bridge_isometric_double.svg" alt="Bridge"></body></html>'
    )
    code = (
        "import sys, django; django.setup(); from rehab.pdf import html_to_pdf; "
        "sys.stdout.buffer.write(html_to_pdf(sys.stdin.read()))"
    )
    env = {
        **os.environ,
        "FONTCONFIG_FILE": str(config),
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
    }
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code],
        input=html.encode(),
        capture_output=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    reader = read_pdf(result.stdout)
    assert "Bundled font" in reader.pages[0].extract_text()
    assert "HOLD" in reader.pages[0].extract_text()  # the drawing's label
    fonts = {
        str(f.get_object()["/BaseFont"]) for f in reader.pages[0]["/Resources"]["/Font"].values()
    }
    assert {name.split("+")[1] for name in fonts} == {"Plan-Sans", "Plan-Sans-Bold"}


@pytest.mark.pdf
def test_hostile_note_is_printed_as_text_and_fetches_nothing(plan, monkeypatch):
    bridge = prescription(plan, "bridge")
    bridge.note = HOSTILE_NOTE
    bridge.save()
    fetched = []
    original = StaticAssetFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(StaticAssetFetcher, "fetch", spy)
    text = pdf_text(read_pdf(render_plan_pdf(plan=plan)))
    assert fetched and all(url.startswith(ASSET_BASE_URL) for url in fetched)
    assert not [url for url in fetched if "passwd" in url or "example.com" in url]
    assert '<img src="file:///etc/passwd">' in text


@pytest.mark.pdf
def test_three_exercises_and_running_fit_five_a4_pages_every_card_whole(plan):
    """Cards share pages and are never split: measured 6 A4 pages before (one card per half
    page, the log sheet on its own page), 5 after (benchmarks/pdf_pages.py has every plan)."""
    document = laid_out_plan(render_plan_html(plan=plan))
    reader = read_pdf(document.write_pdf())
    steps = [engine.step(item.step_code) for item in plan.prescriptions.all()]
    assert len(steps) == 4  # three exercise and activity cards, and running
    assert len(reader.pages) <= 5
    assert split_cards(document) == []
    pages = [squashed(page.extract_text()) for page in reader.pages]
    # A card's purpose is printed on the card only (its name is in the week grid's key too).
    purposes = [squashed(step.purpose)[:40] for step in steps]
    first_pages = [next(i for i, page in enumerate(pages) if p in page) for p in purposes]
    assert len(set(first_pages)) < len(steps)  # at least two cards share a page
    # Nothing dropped: stop-and-call on page one, the pain guide opening page two, every dose,
    # the week grid and the log sheet.
    assert squashed("When to stop and call") in pages[0]
    assert squashed("How much pain is OK") in pages[1]
    flat = "".join(pages)
    for card in plan_pdf_context(plan=plan)["schedule"]["cards"]:
        assert squashed(card.dose_summary) in flat
    for heading in ("Week by week", "Your log sheet", "Rules for every run", "Words we use"):
        assert squashed(heading) in flat


def test_split_cards_finds_a_card_laid_out_over_two_pages():
    """The whole-card check can fail: a card taller than a page is reported."""
    tall = "<p>line</p>" * 120
    html = f'<html><body><article class="card"><h3>Tall card</h3>{tall}</article></body></html>'
    assert split_cards(laid_out_plan(html)) == ["Tall card"]
    assert split_cards(laid_out_plan('<article class="card"><h3>Short</h3></article>')) == []


@pytest.mark.pdf
@pytest.mark.parametrize("page_size", ["A4", "Letter"])
def test_large_print_renders_each_card_whole_on_its_own_page(phase_three_plan, page_size):
    clinic = phase_three_plan.patient.clinic
    clinic.pdf_page_size = page_size
    clinic.save()
    standard = read_pdf(render_plan_pdf(plan=phase_three_plan))
    document = laid_out_plan(render_plan_html(plan=phase_three_plan, large_print=True))
    large = read_pdf(document.write_pdf())
    assert len(large.pages) > len(standard.pages)
    assert split_cards(document) == []
    pages = [squashed(page.extract_text()) for page in large.pages]
    # A card's purpose is printed on the card only (its name is in the week grid's key too).
    purposes = [
        squashed(engine.step(item.step_code).purpose)[:40]
        for item in phase_three_plan.prescriptions.exclude(ladder="running")
    ]
    first_pages = [next(i for i, page in enumerate(pages) if p in page) for p in purposes]
    assert len(set(first_pages)) == len(purposes)


@pytest.mark.pdf
def test_an_issued_pdf_keeps_its_bytes_when_the_plan_changes_later(plan, alice):
    pdf = render_plan_pdf(plan=plan)
    document = plan_issue(plan=plan, clinician=alice, pdf=pdf)
    bridge = prescription(plan, "bridge")
    bridge.sets = 2
    bridge.save()
    assert render_plan_pdf(plan=plan) != pdf
    stored = IssuedDocument.objects.get(pk=document.pk)
    assert issued_document_bytes(stored) == pdf
    assert stored.page_size == "A4"


@pytest.mark.pdf
def test_a_plan_reissued_after_follow_ups_carries_the_progress_charts(plan, caplog):
    from rehab.services import session_log_create

    assert "Your progress so far" not in render_plan_html(plan=plan)
    today = timezone.localdate()
    for days_ago, pain in ((6, 4), (3, 3), (0, 2)):
        session_log_create(
            plan=plan,
            session_date=today - timezone.timedelta(days=days_ago),
            exercise_pain=pain,
            running_pain=pain,
            next_morning="same",
        )
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_plan_pdf(plan=plan)
    reader = read_pdf(pdf)
    progress_page = next(p for p in reader.pages if "Your progress so far" in p.extract_text())
    # The charts are drawn as vector graphics on that page (SVG in WeasyPrint), not text.
    assert len(progress_page["/Resources"]["/XObject"]) >= 2
    assert not [r for r in caplog.records if "refused" in r.getMessage().lower()]
    assert render_plan_pdf(plan=plan) == pdf


# --- "Move you on to" names only steps the plan's phase allows ---------------------------------

PLANNED = [p.diagnosis for p in engine.protocols() if not p.refer_first]


@pytest.mark.pdf
@pytest.mark.parametrize("diagnosis", PLANNED)
def test_phase_one_pdf_never_moves_the_runner_on_to_a_step_of_a_later_phase(
    patient, alice, diagnosis
):
    plan = plan_for(
        patient=patient,
        clinician=alice,
        working_diagnosis=diagnosis,
        reason="Auditing every protocol's phase 1 card texts.",
    )
    text = squashed(pdf_text(read_pdf(render_plan_pdf(plan=plan))))
    phase = engine.protocol(diagnosis).phase(1)
    named = 0
    for ladder in engine.ladders():
        ceiling = phase.ceiling(ladder.code)
        for step in ladder.steps:
            moved_on_to = squashed(f"move you on to: {step.name}.")
            if ceiling is not None and step.position > ceiling.step.position:
                assert moved_on_to not in text, (diagnosis, step.code)
            named += moved_on_to in text
    # Advice (sitting, crutches, the morning check) has no next step to name.
    cards = sum(
        engine.next_step(diagnosis=diagnosis, phase=1, step_code=item.step_code).step is not None
        for item in plan.prescriptions.all()
    )
    held = [
        following
        for item in plan.prescriptions.all()
        if not (
            following := engine.next_step(diagnosis=diagnosis, phase=1, step_code=item.step_code)
        ).in_phase
        and following.step is not None
    ]
    assert named == cards - len(held)  # every other card names its next step
    for following in held:
        assert squashed(f"The next step, {following.step.name}, comes with phase") in text


@pytest.mark.pdf
def test_phase_one_tendinopathy_pdf_says_hills_come_with_phase_four(plan):
    text = squashed(pdf_text(read_pdf(render_plan_pdf(plan=plan))))
    assert squashed("move you on to: Easy running with hills") not in text
    assert squashed("The next step, Easy running with hills, comes with phase 4") in text
    for criterion in engine.protocol(plan.diagnosis).phase(1).exit:
        assert squashed(criterion) in text
