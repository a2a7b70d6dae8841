"""Reads for the progress charts and the outcome history: models in, plain data out.

``rehab/charts.py`` draws from what these return (dates and numbers), so the web page and the
PDF share one path. Query counts are pinned in tests/functional/test_progress_charts.py.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from rehab import engine, outcomes
from rehab.models import OutcomeMeasurement, Plan, Prescription, ProgressionDecision

Point = tuple[dt.date, int]
Series = dict[str, list[Point]]

PAIN_LABELS = {
    "exercise_pain": "Exercise pain (sessions)",
    "running_pain": "Running pain (sessions)",
    "pain_rest": "Pain at rest (measured)",
    "pain_running": "Pain when running (measured)",
}
# Pain the runner rated themselves on their link, drawn as its own series.
REPORTED_PAIN_LABELS = {
    "pain_rest": "Pain at rest (patient-reported)",
    "pain_running": "Pain when running (patient-reported)",
}


@dataclass(frozen=True)
class OutcomeRow:
    """One measurement with its score and the change since the previous one of its measure."""

    measurement: OutcomeMeasurement
    score: outcomes.Score
    change: outcomes.Change | None

    @property
    def patient_reported(self) -> bool:
        return self.measurement.patient_reported


@dataclass(frozen=True)
class MeasureHistory:
    measure: outcomes.Measure
    rows: list[OutcomeRow]  # newest first

    @property
    def points(self) -> list[Point]:
        return [(row.measurement.measured_on, row.score.total) for row in reversed(self.rows)]

    @property
    def reported_points(self) -> list[Point]:
        """The scores the runner gave on their link, oldest first (marked on the chart)."""
        return [
            (row.measurement.measured_on, row.score.total)
            for row in reversed(self.rows)
            if row.patient_reported
        ]

    @property
    def latest_change(self) -> outcomes.Change | None:
        return self.rows[0].change


@dataclass(frozen=True)
class PlanChartData:
    pain: Series = field(default_factory=dict)
    outcomes: dict[str, list[Point]] = field(default_factory=dict)  # measure code -> points
    reported: dict[str, list[Point]] = field(default_factory=dict)  # the runner's own scores
    changes: dict[str, outcomes.Change] = field(default_factory=dict)  # latest, per measure
    steps: Series = field(default_factory=dict)  # ladder name -> (date, step position)
    step_max: int = 1


def outcome_measurements_for_patient(*, patient) -> QuerySet[OutcomeMeasurement]:
    """Oldest first; the caller has already checked access with get_patient_for_user."""
    return (
        OutcomeMeasurement.objects.filter(patient=patient)
        .select_related("recorded_by", "plan")
        .order_by("measured_on", "created_at")
    )


def outcome_history(measurements) -> list[MeasureHistory]:
    """Group measurements (oldest first) by measure, in the order of measures.toml."""
    by_measure: dict[str, list[OutcomeMeasurement]] = defaultdict(list)
    for measurement in measurements:
        by_measure[measurement.measure].append(measurement)
    histories = []
    for definition in outcomes.measures():
        rows: list[OutcomeRow] = []
        previous: outcomes.Score | None = None
        for measurement in by_measure.get(definition.code, []):
            score = measurement.to_score()
            rows.append(
                OutcomeRow(
                    measurement=measurement,
                    score=score,
                    change=outcomes.change(previous, score) if previous else None,
                )
            )
            previous = score
        if rows:
            histories.append(MeasureHistory(measure=definition, rows=rows[::-1]))
    return histories


def pain_series(*, session_logs=(), measurements=()) -> Series:
    """Session-log pain (exercise, running) and measured pain (rest, running), oldest first."""
    series: Series = {label: [] for label in PAIN_LABELS.values()}
    for log in sorted(session_logs, key=lambda log: (log.session_date, log.created_at)):
        series[PAIN_LABELS["exercise_pain"]].append((log.session_date, log.exercise_pain))
        if log.running_pain is not None:
            series[PAIN_LABELS["running_pain"]].append((log.session_date, log.running_pain))
    for measurement in sorted(measurements, key=lambda m: (m.measured_on, m.created_at)):
        labels = REPORTED_PAIN_LABELS if measurement.patient_reported else PAIN_LABELS
        if measurement.measure in labels:
            label = labels[measurement.measure]
            series.setdefault(label, []).append((measurement.measured_on, measurement.total))
    return {label: points for label, points in series.items() if points}


def _position(step_code: str) -> int:
    return engine.step(step_code).position


def step_series(
    *,
    prescriptions,
    decisions,
    starts: dict[int, tuple[dt.date, str]],
    end: dt.date,
) -> Series:
    """Ladder step position over time for each prescription, drawn as steps.

    From the prescription's starting step (``starts``: id -> (date, step code)) through each
    ProgressionDecision (from_step -> to_step on its date) to its current step, up to ``end``.
    A change made outside a decision (the PT editing the step, a new phase) shows as a jump on
    the prescription's ``step_since`` date.
    """
    by_prescription: dict[int, list[ProgressionDecision]] = defaultdict(list)
    for decision in sorted(decisions, key=lambda d: d.decided_at):
        by_prescription[decision.prescription_id].append(decision)
    series: Series = {}
    for prescription in prescriptions:
        taken = by_prescription.get(prescription.pk, [])
        start_date, start_step = starts.get(
            prescription.pk,
            (prescription.step_since, taken[0].from_step if taken else prescription.step_code),
        )
        points: list[Point] = [(start_date, _position(start_step))]
        current = start_step

        def move(day: dt.date, to_step: str, points=points) -> None:
            day = max(day, points[-1][0])
            points.append((day, points[-1][1]))
            points.append((day, _position(to_step)))

        for decision in taken:
            day = timezone.localdate(decision.decided_at)
            if decision.from_step != current:
                move(day, decision.from_step)
            if decision.to_step != decision.from_step:
                move(day, decision.to_step)
            current = decision.to_step
        if prescription.step_code != current:
            move(prescription.step_since, prescription.step_code)
        points.append((max(end, points[-1][0]), points[-1][1]))
        series[prescription.get_ladder_display()] = points
    return series


def plan_chart_data(*, plan: Plan) -> PlanChartData:
    """Everything the plan's charts draw, in five queries."""
    return plan_chart_data_from_rows(
        plan=plan,
        logs=list(plan.session_logs.all()),
        prescriptions=list(plan.prescriptions.all()),
        decisions=list(ProgressionDecision.objects.filter(prescription__plan=plan)),
    )


def plan_chart_data_from_rows(
    *,
    plan: Plan,
    logs,
    prescriptions,
    decisions,
    created: dict[int, tuple[dt.datetime, str]] | None = None,
) -> PlanChartData:
    """The charts' data from the plan's session logs, prescriptions and decisions already
    loaded (the plan page reads them once for all its parts): two queries, the patient's
    outcome measurements and when each prescription was created, the latter left out when
    ``created`` (id -> when and at which step) was read with the prescriptions."""
    measurements = list(
        OutcomeMeasurement.objects.filter(patient_id=plan.patient_id).order_by(
            "measured_on", "created_at"
        )
    )
    # Advice and checks (sitting, crutches, the morning check) have no steps to climb.
    progressed = [p for p in prescriptions if p.is_progressed]
    if created is None:
        created = {
            pk: (when, step)
            for pk, when, step in Prescription.history.filter(plan_id=plan.pk, history_type="+")
            .order_by("history_date")
            .values_list("id", "history_date", "step_code")
        }
    starts = {pk: (timezone.localdate(when), step) for pk, (when, step) in created.items()}
    today = timezone.localdate()
    end = min(today, plan.ends_on) if plan.ends_on else today
    steps = step_series(prescriptions=progressed, decisions=decisions, starts=starts, end=end)
    step_max = max(
        (len(engine.ladder_steps(p.ladder)) for p in progressed),
        default=1,
    )
    function = [h for h in outcome_history(measurements) if h.measure.group == "function"]
    return PlanChartData(
        pain=pain_series(session_logs=logs, measurements=measurements),
        outcomes={h.measure.code: h.points for h in function},
        reported={h.measure.code: h.reported_points for h in function if h.reported_points},
        changes={h.measure.code: h.latest_change for h in function if h.latest_change},
        steps=steps,
        step_max=step_max,
    )
