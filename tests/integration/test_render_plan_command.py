"""``manage.py render_plan``: a plan's PDF or HTML from the command line."""

import io

import pypdf
import pytest
from django.core.management import CommandError, call_command

from clinic.models import Clinic, Patient
from rehab.models import Plan
from tests.rehab_factories import plan_for


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice)


def pages(path) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return [page.extract_text() for page in reader.pages]


@pytest.mark.pdf
def test_render_plan_writes_the_plans_pdf(plan, tmp_path):
    out = tmp_path / "plan.pdf"
    call_command("render_plan", str(plan.pk), "-o", str(out), stdout=io.StringIO())
    assert out.read_bytes().startswith(b"%PDF-")
    assert "Rosa Runner" in pages(out)[0]


def test_render_plan_html_writes_the_html_instead(plan, tmp_path):
    out = tmp_path / "plan.html"
    call_command("render_plan", str(plan.pk), "-o", str(out), "--html", stdout=io.StringIO())
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "Rosa Runner" in html


@pytest.mark.pdf
def test_render_plan_large_print_needs_more_pages(plan, tmp_path):
    standard, large = tmp_path / "standard.pdf", tmp_path / "large.pdf"
    call_command("render_plan", str(plan.pk), "-o", str(standard), stdout=io.StringIO())
    call_command(
        "render_plan", str(plan.pk), "-o", str(large), "--large-print", stdout=io.StringIO()
    )
    assert len(pages(large)) > len(pages(standard))


def test_render_plan_uses_the_given_base_url_for_the_patient_link(plan, tmp_path):
    out = tmp_path / "plan.html"
    call_command(
        "render_plan",
        str(plan.pk),
        "-o",
        str(out),
        "--html",
        "--base-url",
        "https://plans.example.org",
        stdout=io.StringIO(),
    )
    assert f"plans.example.org/p/{plan.patient_link.token}/" in out.read_text(encoding="utf-8")


def test_render_plan_refuses_an_unknown_plan(db, tmp_path):
    with pytest.raises(CommandError, match="No plan with id 987654321"):
        call_command("render_plan", "987654321", "-o", str(tmp_path / "x.pdf"))


def test_render_plan_needs_a_plan_id_or_demo_but_not_both(plan, tmp_path):
    with pytest.raises(CommandError):
        call_command("render_plan", "-o", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError):
        call_command("render_plan", str(plan.pk), "--demo", "-o", str(tmp_path / "x.pdf"))


@pytest.mark.pdf
def test_render_plan_demo_renders_a_full_plan_and_leaves_nothing_behind(db, tmp_path):
    out = tmp_path / "demo.pdf"
    call_command(
        "render_plan", "--demo", "--page-size", "Letter", "-o", str(out), stdout=io.StringIO()
    )
    text = "\n".join(pages(out))
    assert "Jordan Rivera" in text
    for name in ("Single-leg bridge, long lever", "Barbell hip thrust", "Hip hinge with a stick"):
        assert name in text
    reader = pypdf.PdfReader(io.BytesIO(out.read_bytes()))
    assert round(float(reader.pages[0].mediabox.width)) == 612  # US Letter
    assert not Plan.objects.exists()
    assert not Patient.objects.exists()
    assert not Clinic.objects.exists()
