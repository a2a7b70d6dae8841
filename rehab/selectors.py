"""Reads of plans, scoped to the user's clinics (another clinic's plan is a 404)."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, F, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment
from assessments.selectors import red_flag_statuses, uncleared_red_flags
from clinic.audit import note_read
from clinic.models import AccessEvent, Clinic
from rehab import engine
from rehab.models import (
    RUNNER_CORRECTION_WINDOW,
    IssuedDocument,
    OutcomeMeasurement,
    PatientLink,
    Plan,
    Prescription,
    ProgressionDecision,
    QuestionnaireRequest,
    SessionLog,
)


def plans_for_user(*, user) -> QuerySet[Plan]:
    return Plan.objects.filter(patient__clinic__memberships__user=user).select_related(
        "patient", "patient__clinic", "assessment", "created_by"
    )


def get_plan_for_user(*, user, pk) -> Plan:
    plan = get_object_or_404(plans_for_user(user=user), pk=pk)
    note_read(plan)  # the get_*_for_* reads are noted for the request's access record
    return plan


def _get_plan_record_for_user(model, *, user, pk):
    """A row hanging off a plan of the user's clinics (404 otherwise), noted for the audit."""
    record = get_object_or_404(
        model.objects.filter(plan__patient__clinic__memberships__user=user).select_related(
            "plan", "plan__patient"
        ),
        pk=pk,
    )
    note_read(record)
    return record


def get_prescription_for_user(*, user, pk) -> Prescription:
    return _get_plan_record_for_user(Prescription, user=user, pk=pk)


def get_session_log_for_user(*, user, pk) -> SessionLog:
    return _get_plan_record_for_user(SessionLog, user=user, pk=pk)


def get_issued_document_for_user(*, user, pk) -> IssuedDocument:
    """The issued PDF's row (its bytes: ``rehab.documents``), or 404 outside the user's
    clinics."""
    return _get_plan_record_for_user(IssuedDocument, user=user, pk=pk)


def plan_preview(
    *, assessment: Assessment, weekly_km: float | None = None
) -> engine.PlanDraft | engine.ReferFirst:
    """What the engine would draft from the signed working diagnosis (nothing saved)."""
    return engine.build_plan(
        diagnosis=assessment.working_diagnosis,
        red_flags=uncleared_red_flags(assessment=assessment),
        weekly_km=weekly_km,
    )


@dataclass(frozen=True)
class AssessmentPlanPanel:
    """The plan actions on an assessment page: its plans, or why no plan may be built."""

    plans: QuerySet[Plan]
    refer_first: engine.ReferFirst | None


def assessment_plan_panel(*, assessment: Assessment) -> AssessmentPlanPanel:
    """The assessment's plans, or the engine's refer-first verdict that bars any: worked out
    here so that the template tag showing them only renders."""
    preview = plan_preview(assessment=assessment) if assessment.working_diagnosis else None
    return AssessmentPlanPanel(
        plans=assessment.plans.all(),
        refer_first=preview if isinstance(preview, engine.ReferFirst) else None,
    )


def link_expires_on(link: PatientLink) -> dt.date | None:
    """The plan's end plus the clinic's grace days; None while the plan runs."""
    plan = link.plan
    if plan.ends_on is None:
        return None
    return plan.ends_on + dt.timedelta(days=plan.patient.clinic.patient_link_days)


class DeadPatientLink(Exception):
    """A patient link that shows no plan: wrong, revoked, expired or of an erased patient.

    ``clinic`` is set when the token was once real, so the runner is told whom to call; a
    guessed token has none. Nothing else differs between the cases.
    """

    def __init__(self, clinic=None):
        self.clinic = clinic
        super().__init__("dead patient link")


def get_plan_for_patient_token(*, token: str) -> Plan:
    """The plan behind a patient's link; ``DeadPatientLink`` for wrong, revoked (or renewed
    away) and expired tokens (an erased patient's links are revoked)."""
    link = (
        PatientLink.objects.select_related("plan", "plan__patient", "plan__patient__clinic")
        .filter(token=token)
        .first()
    )
    if link is None:
        # A token replaced by a renewal lives on in the link's history: it was real, so the
        # runner is told whom to call, as for a revoked one.
        clinic_id = (
            PatientLink.history.filter(token=token)
            .values_list("plan__patient__clinic_id", flat=True)
            .first()
        )
        raise DeadPatientLink(clinic=Clinic.objects.filter(pk=clinic_id).first())
    expires_on = link_expires_on(link)
    if link.revoked_at is not None or (
        expires_on is not None and timezone.localdate() > expires_on
    ):
        raise DeadPatientLink(clinic=link.plan.patient.clinic)
    note_read(link.plan)
    return link.plan


def link_documents(*, plan: Plan) -> QuerySet[IssuedDocument]:
    """Issued versions with a first-name-only copy, newest first: the only ones the link serves
    (the PT's full-name copy is never read for it)."""
    return plan.documents.exclude(link_sha256="")


def progression_proposals(*, plan: Plan) -> list[tuple[Prescription, engine.Proposal]]:
    """For each progressed prescription, what the pain-monitoring model proposes from the logs
    at its step, never above the highest step the plan's current phase allows."""
    return _proposals(
        plan=plan,
        prescriptions=plan.prescriptions.all(),
        logs=list(SessionLog.objects.filter(plan=plan)),
        now=timezone.now(),  # a next-morning answer missing too long is unknown, not awaited
    )


def _logs_at_step(prescription: Prescription, logs) -> list[SessionLog]:
    return [log for log in logs if log.session_date >= prescription.step_since]


def _proposals(
    *, plan: Plan, prescriptions, logs, now
) -> list[tuple[Prescription, engine.Proposal]]:
    """The engine's proposal for each progressed prescription from already loaded rows (no
    query); advice and checks are never stepped up or down."""
    return [
        (
            prescription,
            engine.propose_progression(
                tissue_or_diagnosis=plan.diagnosis,
                ladder=prescription.ladder,
                current_step=prescription.step_code,
                now=now,
                logs=[log.to_engine_log() for log in _logs_at_step(prescription, logs)],
                cleared_to_run=plan.cleared_to_run,
                phase=plan.current_phase,
            ),
        )
        for prescription in prescriptions
        if prescription.is_progressed
    ]


# Proposals that ask the PT to act; a hold keeps things as they are.
ACTIONS_TO_DECIDE = frozenset({"progress", "regress", "refer"})


def _answered(prescription: Prescription, logs, decided_at: dt.datetime | None) -> bool:
    """A proposal is answered when the PT decided on the ladder after every session it rests on
    was logged: nothing new has come in since the decision."""
    if decided_at is None:
        return False
    return all(log.created_at <= decided_at for log in _logs_at_step(prescription, logs))


@dataclass(frozen=True)
class ProposalState:
    """A proposal on the plan page, with the decision that answered it (None: undecided)."""

    prescription: Prescription
    proposal: engine.Proposal
    decision: ProgressionDecision | None

    @property
    def waiting(self) -> bool:
        """Undecided and asking for a move (or a referral): the inbox lists it."""
        return self.decision is None and self.proposal.action in ACTIONS_TO_DECIDE


def proposal_states(*, plan: Plan) -> list[ProposalState]:
    """Each prescription's proposal and, when the PT has answered it, their latest decision
    (who, when, what); three queries whatever the number of ladders."""
    prescriptions = list(plan.prescriptions.all())
    logs = list(SessionLog.objects.filter(plan=plan))
    latest: dict[int, ProgressionDecision] = {}
    decisions = ProgressionDecision.objects.filter(prescription__plan=plan).select_related(
        "decided_by"
    )
    for decision in decisions.order_by("decided_at"):
        latest[decision.prescription_id] = decision
    states = []
    for prescription, proposal in _proposals(
        plan=plan, prescriptions=prescriptions, logs=logs, now=timezone.now()
    ):
        decision = latest.get(prescription.pk)
        answered = decision is not None and _answered(prescription, logs, decision.decided_at)
        states.append(ProposalState(prescription, proposal, decision if answered else None))
    return states


def runner_changeable_logs(*, plan: Plan, now: dt.datetime | None = None) -> QuerySet[SessionLog]:
    """The runner's own logs they may still correct through the link (within the window)."""
    since = (now or timezone.now()) - RUNNER_CORRECTION_WINDOW
    return plan.session_logs.filter(reported_by=SessionLog.ReportedBy.PATIENT, created_at__gt=since)


def get_runner_log(*, plan: Plan, pk) -> SessionLog:
    """One of the runner's own logs of the link's plan (any age: the view says when it closed)."""
    log = get_object_or_404(
        plan.session_logs.filter(reported_by=SessionLog.ReportedBy.PATIENT), pk=pk
    )
    note_read(log)
    return log


def next_morning_question(
    *, plan: Plan, now: dt.datetime | None = None
) -> tuple[SessionLog, str] | None:
    """The latest session and the question to ask, when its next morning is missing, that
    morning has come (the session was before today) and the runner may still answer."""
    latest = plan.session_logs.first()  # newest session date, then newest logged
    now = now or timezone.now()
    today = timezone.localdate(now)
    if (
        latest is None
        or latest.next_morning
        or latest.session_date >= today
        or not latest.runner_may_change(now)
    ):
        return None
    when = (
        "yesterday's session"
        if latest.session_date == today - dt.timedelta(days=1)
        else f"your session on {latest.session_date:%A %-d %B}"
    )
    return latest, f"How does it feel this morning compared with before {when}?"


def link_base_url(request) -> str:
    """The scheme and host patient links are issued with: the configured base URL, else the
    host the PT is using (validated against ALLOWED_HOSTS by ``get_host``; https if secure)."""
    configured = settings.PATIENT_LINK_BASE_URL.strip()
    if configured:
        return configured.rstrip("/")
    return f"{request.scheme}://{request.get_host()}"


def patient_link_url(link: PatientLink, *, base_url: str = "") -> str:
    """The absolute link printed on the PDF, drawn as its QR code, emailed and shown to the PT.

    The base stored on the link when the plan was issued wins, so all four agree; before the
    first issue, ``base_url`` (from ``link_base_url``) is used.
    """
    path = reverse("patient_plan_page", args=[link.token])
    return f"{(link.base_url or base_url).rstrip('/')}{path}"


EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

# A runner on an active plan is due a check when nothing was logged for this long (EST: the
# progression rules judge two consecutive sessions; weekly contact keeps them moving).
FOLLOW_UP_AFTER_DAYS = 7
# Worsening patterns are looked for in this window of patient-reported sessions.
ALERT_WINDOW_DAYS = 14


def active_plans_for_user(*, user) -> QuerySet[Plan]:
    return plans_for_user(user=user).filter(status__in=[Plan.Status.DRAFT, Plan.Status.ISSUED])


def plans_due_for_follow_up(*, user, today: dt.date | None = None) -> QuerySet[Plan]:
    """Active plans with no session logged in the last week, longest waiting first."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=FOLLOW_UP_AFTER_DAYS)
    return (
        active_plans_for_user(user=user)
        .annotate(last_session=Max("session_logs__session_date"))
        .filter(Q(last_session__lt=cutoff) | Q(last_session__isnull=True, starts_on__lte=cutoff))
        .order_by(F("last_session").asc(nulls_first=True), "starts_on")
    )


def plans_with_worsening_alerts(*, user, today: dt.date | None = None) -> QuerySet[Plan]:
    """Active plans where recent patient logs show the next morning worse twice, or pain that
    travelled down the leg, since the clinician last acted on the plan (a log or a decision)."""
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=ALERT_WINDOW_DAYS)
    last_clinician_log = (
        SessionLog.objects.filter(plan=OuterRef("pk"), reported_by=SessionLog.ReportedBy.CLINICIAN)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    last_decision = (
        ProgressionDecision.objects.filter(prescription__plan=OuterRef("pk"))
        .order_by("-decided_at")
        .values("decided_at")[:1]
    )
    last_clinician_action = Greatest(
        Coalesce(Subquery(last_clinician_log), Value(EPOCH)),
        Coalesce(Subquery(last_decision), Value(EPOCH)),
    )
    recent_patient_logs = Q(
        session_logs__reported_by=SessionLog.ReportedBy.PATIENT,
        session_logs__session_date__gte=since,
        session_logs__created_at__gt=last_clinician_action,
    )
    return (
        active_plans_for_user(user=user)
        .annotate(
            worse_mornings=Count(
                "session_logs", filter=recent_patient_logs & Q(session_logs__next_morning="worse")
            ),
            travelled=Count(
                "session_logs",
                filter=recent_patient_logs & Q(session_logs__pain_travelled_down_leg=True),
            ),
        )
        .filter(Q(worse_mornings__gte=2) | Q(travelled__gte=1))
    )


def cleared_red_flags(*, assessment: Assessment) -> list:
    """The flags of the signed assessment a clinician cleared before the plan: the plan page and
    the printed plan's clinician section say by whom, when and why."""
    return [status for status in red_flag_statuses(assessment=assessment) if status.is_cleared]


def open_questionnaire_requests(*, plan: Plan) -> QuerySet[QuestionnaireRequest]:
    """What the runner is asked to fill in on their link, oldest first."""
    return plan.questionnaire_requests.filter(answered_at__isnull=True).order_by("requested_at")


def get_runner_questionnaire(*, plan: Plan, pk) -> QuestionnaireRequest:
    """One request of the link's plan; another plan's id is a 404 like a missing one."""
    return get_object_or_404(plan.questionnaire_requests, pk=pk)


def plan_questionnaire_requests(*, plan: Plan) -> QuerySet[QuestionnaireRequest]:
    """Every request of the plan for the PT's page, newest first, with its answer."""
    return plan.questionnaire_requests.select_related("requested_by", "measurement")


@dataclass
class InboxEntry:
    """What came in on one active plan since the clinician last opened it."""

    plan: Plan
    seen_at: dt.datetime | None
    new_logs: list[SessionLog]
    waiting: list[ProposalState]
    questionnaires: list[OutcomeMeasurement]
    pdf_out_of_date: bool
    worse_mornings: int = 0
    travelled: int = 0

    @property
    def worsening(self) -> bool:
        return self.worse_mornings >= 2 or self.travelled >= 1

    @property
    def notes(self) -> list[SessionLog]:
        """The new logs that carry the runner's own words."""
        return [log for log in self.new_logs if log.notes.strip()]

    @property
    def latest(self) -> dt.datetime:
        """When the newest item came in, for the order of the inbox."""
        times = [log.created_at for log in self.new_logs]
        times += [measurement.created_at for measurement in self.questionnaires]
        if self.waiting or self.pdf_out_of_date:
            times.append(self.plan.updated_at)
        return max(times, default=EPOCH)

    def __bool__(self) -> bool:
        return bool(
            self.worsening
            or self.new_logs
            or self.waiting
            or self.questionnaires
            or self.pdf_out_of_date
        )


def pdf_out_of_date(*, plan: Plan, issued_at: dt.datetime | None) -> bool:
    """Whether the plan changed (``updated_at``, set by every plan and prescription change)
    after its latest PDF was issued at ``issued_at`` (None: never issued)."""
    return issued_at is not None and plan.updated_at > issued_at


# The URL name of the plan page: its audited opening (``AccessEvent``) is when the clinician
# last looked at a plan, so the inbox needs no marker of its own.
PLAN_PAGE = "plan_detail"


def plan_inbox(*, user) -> list[InboxEntry]:
    """Per active plan of the user's clinics: the runner's logs and notes and the questionnaires
    returned since ``user`` last opened the plan page (the read audit records each opening),
    proposals waiting for a decision, an issued PDF older than the plan's last change;
    worsening first, then the newest.

    Five queries however many plans: the plans (with the last opening and the latest issue),
    their prescriptions (with the latest decision), their logs, their patients' questionnaires
    and the worsening alerts; the engine's proposals are worked out from the loaded rows.
    """
    seen = (
        AccessEvent.objects.filter(
            patient=OuterRef("patient_id"),  # the audit's (patient, -at) index
            user=user,
            view=PLAN_PAGE,
            object_type=Plan._meta.label_lower,
            object_id=OuterRef("pk"),
        )
        .order_by("-at")
        .values("at")[:1]
    )
    last_issue = (
        IssuedDocument.objects.filter(plan=OuterRef("pk"))
        .order_by("-issued_at")
        .values("issued_at")[:1]
    )
    plans = list(
        active_plans_for_user(user=user)
        .annotate(seen_at=Subquery(seen), last_issued_at=Subquery(last_issue))
        .prefetch_related(
            Prefetch(
                "prescriptions",
                queryset=Prescription.objects.annotate(
                    last_decided_at=Max("decisions__decided_at")
                ),
            ),
            Prefetch("session_logs", queryset=SessionLog.objects.order_by("created_at")),
            Prefetch(
                "patient__outcome_measurements",
                queryset=OutcomeMeasurement.objects.exclude(recorded_by=user)
                .defer("responses")
                .order_by("created_at"),
            ),
        )
    )
    alerts = {
        row["pk"]: row
        for row in plans_with_worsening_alerts(user=user).values(
            "pk", "worse_mornings", "travelled"
        )
    }
    now = timezone.now()
    entries = []
    for plan in plans:
        since = plan.seen_at or EPOCH
        logs = list(plan.session_logs.all())
        entry = InboxEntry(
            plan=plan,
            seen_at=plan.seen_at,
            new_logs=[
                log
                for log in logs
                if log.reported_by == SessionLog.ReportedBy.PATIENT and log.created_at > since
            ],
            waiting=_waiting_proposals(plan=plan, logs=logs, now=now),
            questionnaires=[
                measurement
                for measurement in plan.patient.outcome_measurements.all()
                if measurement.created_at > since and measurement.plan_id in (None, plan.pk)
            ],
            pdf_out_of_date=pdf_out_of_date(plan=plan, issued_at=plan.last_issued_at),
            worse_mornings=alerts.get(plan.pk, {}).get("worse_mornings", 0),
            travelled=alerts.get(plan.pk, {}).get("travelled", 0),
        )
        if entry:
            entries.append(entry)
    entries.sort(key=lambda entry: entry.latest, reverse=True)
    entries.sort(key=lambda entry: not entry.worsening)  # stable: worsening first, newest within
    return entries


def _waiting_proposals(*, plan: Plan, logs, now) -> list[ProposalState]:
    """The undecided proposals asking for a move, from loaded rows; the engine runs only for
    ladders with a session logged after their latest decision."""
    prescriptions = [
        prescription
        for prescription in plan.prescriptions.all()
        if not _answered(prescription, logs, prescription.last_decided_at)
        and _logs_at_step(prescription, logs)
    ]
    states = [
        ProposalState(prescription, proposal, None)
        for prescription, proposal in _proposals(
            plan=plan, prescriptions=prescriptions, logs=logs, now=now
        )
    ]
    return [state for state in states if state.waiting]
