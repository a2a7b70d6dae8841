"""Progress charts on the plan page and in a PDF: one path (chart_data -> charts -> data URI)."""

import base64
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from html import unescape

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from assessments.services import assessment_sign
from rehab import charts, engine
from rehab.chart_data import plan_chart_data, plan_chart_data_from_rows
from rehab.models import ProgressionDecision
from rehab.selectors import plan_rows
from rehab.services import (
    outcome_measurement_record,
    plan_create,
    progression_decide,
    session_log_create,
)
from tests.factories import NOT_SCREENED, AssessmentFactory
from tests.rehab_factories import PHT_FINDINGS, plan_for

DATA_URI = re.compile(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)"')


@pytest.fixture
def plan(patient, alice):
    assessment = AssessmentFactory(patient=patient, clinician=alice, **PHT_FINDINGS)
    return plan_create(
        assessment=assessment_sign(
            red_flag_screen_reason=NOT_SCREENED, assessment=assessment, clinician=alice
        ),
        clinician=alice,
    )


@pytest.fixture
def progressed_plan(patient, alice):
    """A strain plan (its phase 1 lets the bridge climb; a tendinopathy's holds it): two good
    sessions, then the PT accepts moving the bridge up one step."""
    plan = plan_for(
        patient=patient,
        clinician=alice,
        working_diagnosis="hamstring_strain",
        reason="Sprinting injury two days ago.",
    )
    today = timezone.localdate()
    for day in (today - dt.timedelta(days=1), today):
        session_log_create(
            plan=plan,
            recorded_by=alice,
            session_date=day,
            exercise_pain=2,
            running_pain=3,
            running_pain_pattern="warms_up",
            next_morning="same",
            completed=True,
        )
    bridge = plan.prescriptions.get(ladder="bridge")
    proposal = engine.propose_progression(
        tissue_or_diagnosis=plan.diagnosis,
        ladder="bridge",
        current_step=bridge.step_code,
        logs=[log.to_engine_log() for log in plan.session_logs.all()],
        cleared_to_run=plan.cleared_to_run,
        phase=plan.current_phase,
    )
    assert proposal.action == "progress"
    progression_decide(
        prescription=bridge,
        proposal=proposal,
        clinician=alice,
        to_step=proposal.target_step,
        override_reason="",
    )
    outcome_measurement_record(
        patient=plan.patient,
        plan=plan,
        measure="lefs",
        measured_on=today,
        responses={f"lefs_{n:02d}": 3 for n in range(1, 21)},
        recorded_by=alice,
    )
    outcome_measurement_record(
        patient=plan.patient,
        plan=plan,
        measure="pain_rest",
        measured_on=today,
        responses={"pain": 1},
        recorded_by=alice,
    )
    return plan


def decoded_images(page: str) -> list[tuple[str, str]]:
    return [(base64.b64decode(b64).decode(), alt) for b64, alt in DATA_URI.findall(page)]


def test_plan_page_shows_the_charts_as_data_uri_images_with_alt_text(alice_client, progressed_plan):
    response = alice_client.get(reverse("plan_detail", args=[progressed_plan.pk]))
    page = response.content.decode()
    assert 'id="progress-charts"' in page
    assert reverse("outcome_list", args=[progressed_plan.patient_id]) in page
    images = decoded_images(page)
    roots = [ET.fromstring(svg) for svg, _ in images]  # noqa: S314 - SVG the app generated
    titles = [root.find("{http://www.w3.org/2000/svg}title").text for root in roots]
    assert titles == ["Pain over time", "LEFS over time", "Exercise load progression"]
    assert all(alt for _, alt in images)
    pain_alt = images[0][1]
    assert "Exercise pain (sessions): 2/10" in pain_alt
    assert "Pain at rest (measured): 1/10" in pain_alt
    assert "<style" not in page.split('id="progress-charts"')[1].split("</section>")[0]


def test_step_series_follows_the_decision_from_the_starting_step(progressed_plan):
    data = plan_chart_data(plan=progressed_plan)
    bridge = data.steps["Bridge"]
    start = engine.protocol("hamstring_strain").phase(1).start_step("bridge").position
    decision = ProgressionDecision.objects.get()
    now = engine.step(decision.to_step).position
    assert bridge[0] == (progressed_plan.starts_on, start)
    positions = [position for _, position in bridge]
    assert positions[0] == start and positions[-1] == now and now == start + 1
    assert (timezone.localdate(decision.decided_at), now) in bridge
    assert data.steps["Running"][0][1] == data.steps["Running"][-1][1]
    assert data.step_max == max(len(engine.ladder_steps(lad)) for lad in ("bridge", "running"))


def test_a_step_change_outside_a_decision_shows_on_its_step_since_date(plan):
    from rehab.services import prescription_set_step

    # The running ladder: phase 1 keeps the bridge on its first step, but running may go down.
    running = plan.prescriptions.get(ladder="running")
    prescription_set_step(prescription=running, step_code="run_walk_run_short")
    series = plan_chart_data(plan=plan).steps["Running"]
    assert series[-1][1] == engine.step("run_walk_run_short").position
    assert series[0][1] == engine.step("run_continuous_easy").position


def test_chart_data_for_a_plan_is_five_queries_and_drawing_costs_none(
    progressed_plan, django_assert_num_queries
):
    # session logs, outcome measurements, prescriptions, decisions, prescription history
    with django_assert_num_queries(5):
        data = plan_chart_data(plan=progressed_plan)
    with django_assert_num_queries(0):
        drawn = charts.plan_charts(data)
        [chart.data_uri for chart in drawn]
    assert [chart.key for chart in drawn] == ["pain", "lefs", "steps"]


def test_chart_data_from_the_plan_pages_rows_is_two_queries_and_the_same(
    progressed_plan, django_assert_num_queries
):
    rows = plan_rows(plan=progressed_plan)
    # outcome measurements, prescription history: the rest is the page's rows
    with django_assert_num_queries(2):
        data = plan_chart_data_from_rows(
            plan=progressed_plan,
            logs=rows.logs,
            prescriptions=rows.prescriptions,
            decisions=rows.decisions,
        )
    assert data == plan_chart_data(plan=progressed_plan)


def test_the_plan_page_draws_the_charts_the_pdf_draws(alice_client, progressed_plan):
    page = alice_client.get(reverse("plan_detail", args=[progressed_plan.pk])).content.decode()
    drawn = charts.plan_charts(plan_chart_data(plan=progressed_plan))
    shown = [(svg, unescape(alt)) for svg, alt in decoded_images(page)]
    assert shown == [(chart.svg, chart.alt) for chart in drawn]


@pytest.mark.pdf
def test_charts_render_in_a_weasyprint_pdf(progressed_plan):
    weasyprint = pytest.importorskip("weasyprint")
    drawn = charts.plan_charts(plan_chart_data(plan=progressed_plan))
    html = Template(
        "<html><body><h1>Progress</h1>{% for c in charts %}"
        '<img src="{{ c.data_uri }}" alt="{{ c.alt }}" style="width:17cm">'
        "{% endfor %}</body></html>"
    ).render(Context({"charts": drawn}))
    pdf = weasyprint.HTML(string=html).write_pdf()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    # pypdf loses the spaces between SVG glyph runs; compare without whitespace.
    text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
    assert "Progress" in text
    # The SVGs are drawn as vector content, their text included, not dropped as broken images.
    for title in ("Pain over time", "LEFS over time", "Exercise load progression"):
        assert title.replace(" ", "") in text
