"""Reads of plans, scoped to the user's clinics (another clinic's plan is a 404)."""

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    DateField,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment
from assessments.selectors import red_flag_statuses, uncleared_red_flags
from clinic.audit import note_read
from clinic.compiled import ANY_ID, ANY_IDS, ANY_USER, CompiledQuery, compiled
from clinic.models import AccessEvent, Clinic
from rehab import engine
from rehab.models import (
    CAUSE_CHOICES,
    RUNNER_CORRECTION_WINDOW,
    IssuedDocument,
    IssueRequest,
    OutcomeMeasurement,
    PatientLink,
    PatientLinkAccess,
    Plan,
    PlanTemplate,
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
    # The runner's link comes along: the plan page and most plan actions show or use it.
    plan = get_object_or_404(plans_for_user(user=user).select_related("patient_link"), pk=pk)
    note_read(plan)  # the get_*_for_* reads are noted for the request's access record
    return plan


def _plan_page_plan() -> QuerySet[Plan]:
    """The plan page's plan, written with stand-in ids (``clinic.compiled``)."""
    latest_issue = IssueRequest.objects.filter(plan=OuterRef("pk")).order_by("-requested_at", "-pk")
    shown = {"id", "patient", "assessed_on", "ranking_at_signing"}
    return (
        Plan.objects.filter(patient__clinic__memberships__user=ANY_USER, pk=ANY_ID)
        .select_related("patient", "patient__clinic", "patient_link", "assessment")
        .defer(
            *(
                f"assessment__{field.name}"
                for field in Assessment._meta.concrete_fields
                if field.name not in shown
            )
        )
        .annotate(
            latest_issue_status=Subquery(latest_issue.values("status")[:1]),
            may_start_from=Exists(
                PlanTemplate.objects.filter(clinic_id=OuterRef("patient__clinic_id"))
            )
            | Exists(
                Plan.objects.filter(patient_id=OuterRef("patient_id")).exclude(pk=OuterRef("pk"))
            ),
        )
    )


def get_plan_for_plan_page(*, user, pk) -> Plan:
    """``get_plan_for_user`` with only what the plan page shows of its assessment (the date,
    and the signed ranking for its red flags), not the eighty finding columns. Nor its author,
    whom the page never names. With the status of its latest PDF request
    (``shown_issue_request``) and whether a clinic template or another plan of the patient
    exists to start the phase from (``may_start_from``): the page reads either only when it has
    something to show. One query, compiled once per process (it cost twice its running)."""
    found = compiled(_plan_page_plan, Plan).instances({ANY_USER: user.pk, ANY_ID: pk})
    if not found:
        raise Http404
    plan = found[0]
    note_read(plan)
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
    start_from: list[tuple[str, str]]  # templates and earlier plans a new plan may start from


def assessment_plan_panel(*, assessment: Assessment) -> AssessmentPlanPanel:
    """The assessment's plans, or the engine's refer-first verdict that bars any: worked out
    here so that the template tag showing them only renders."""
    preview = plan_preview(assessment=assessment) if assessment.working_diagnosis else None
    refer_first = preview if isinstance(preview, engine.ReferFirst) else None
    return AssessmentPlanPanel(
        plans=assessment.plans.all(),
        refer_first=refer_first,
        start_from=[]
        if refer_first or not assessment.working_diagnosis
        else start_from_choices(
            clinic_id=assessment.patient.clinic_id,
            patient_id=assessment.patient_id,
            diagnosis=assessment.working_diagnosis,
        ),
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


def latest_issue_request(*, plan: Plan) -> IssueRequest | None:
    """The plan's last request for a PDF: shown while it is in the works, and if it failed."""
    return plan.issue_requests.first()


# What the plan page says of its latest PDF request: while it is in the works, and a failure.
ISSUE_STATUSES_SHOWN = frozenset({*IssueRequest.OPEN, IssueRequest.Status.FAILED})


def shown_issue_request(*, plan: Plan) -> IssueRequest | None:
    """The plan's latest PDF request when the plan page shows it; no query when the plan was
    read with that request's status (``get_plan_for_plan_page``) and it is done, or there is
    none: the common case, and the page then shows nothing of it."""
    status = getattr(plan, "latest_issue_status", IssueRequest.Status.WAITING)
    if status not in ISSUE_STATUSES_SHOWN:
        return None
    issue_request = latest_issue_request(plan=plan)
    return issue_request if issue_request and issue_request.status in ISSUE_STATUSES_SHOWN else None


def issue_request_overdue(issue_request: IssueRequest | None, *, after: dt.timedelta) -> bool:
    """Still not issued after ``after``: the worker may not be running (the PT may ask again)."""
    return bool(
        issue_request
        and issue_request.is_open
        and timezone.now() - issue_request.requested_at >= after
    )


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


@dataclass(frozen=True)
class PlanRows:
    """A plan's prescriptions, session logs (newest first) and progression decisions, loaded
    once for the plan page: its proposals, session table and charts all read them. ``created``:
    when, and at which step, each prescription was created (its history's first record; the
    step chart starts there)."""

    prescriptions: list[Prescription]
    logs: list[SessionLog]
    decisions: list[ProgressionDecision]
    created: dict[int, tuple[dt.datetime, str]]


# The history's model itself: ``Prescription.history`` builds a manager class on every read.
HistoricalPrescription = Prescription.history.model


def _plan_prescriptions() -> QuerySet[Prescription]:
    """A plan's prescriptions, each with its creation from the history (stand-in plan id)."""
    creation = HistoricalPrescription.objects.filter(id=OuterRef("pk"), history_type="+").order_by(
        "-history_date"
    )
    return Prescription.objects.filter(plan=ANY_ID).annotate(
        first_recorded_at=Subquery(creation.values("history_date")[:1]),
        first_step=Subquery(creation.values("step_code")[:1]),
    )


def _plan_logs() -> QuerySet[SessionLog]:
    return SessionLog.objects.filter(plan=ANY_ID)


def _plan_decisions() -> QuerySet[ProgressionDecision]:
    return ProgressionDecision.objects.filter(prescription__plan=ANY_ID).select_related(
        "decided_by"
    )


def _of_plan(build, model, plan: Plan) -> list:
    """``build``'s rows for this plan; a row of the plan itself knows it, as ``plan.<related>``
    would tell it (no query for ``row.plan``)."""
    rows = compiled(build, model).instances({ANY_ID: plan.pk})
    if model in (Prescription, SessionLog, IssuedDocument):
        for row in rows:
            row.plan = plan
    return rows


def plan_rows(*, plan: Plan) -> PlanRows:
    """Three queries at most, whatever the number of ladders, sessions and decisions, each
    compiled once per process (``clinic.compiled``: compiling them cost as much as running
    them): each prescription comes with its creation from the history (a query of its own
    before); the decisions are those of the plan's prescriptions (none read without any)."""
    prescriptions = _of_plan(_plan_prescriptions, Prescription, plan)
    return PlanRows(
        prescriptions=prescriptions,
        logs=_of_plan(_plan_logs, SessionLog, plan),
        decisions=_of_plan(_plan_decisions, ProgressionDecision, plan) if prescriptions else [],
        created={
            p.pk: (p.first_recorded_at, p.first_step)
            for p in prescriptions
            if p.first_recorded_at is not None
        },
    )


def _plan_documents() -> QuerySet[IssuedDocument]:
    return IssuedDocument.objects.filter(plan=ANY_ID).select_related("issued_by")


def plan_documents(*, plan: Plan) -> list[IssuedDocument]:
    """The plan's issued PDFs, newest first, with who issued each (SQL compiled once)."""
    return _of_plan(_plan_documents, IssuedDocument, plan)


def _recent_link_accesses() -> QuerySet[PatientLinkAccess]:
    return PatientLinkAccess.objects.filter(link=ANY_ID)[:10]


def recent_link_accesses(*, link: PatientLink) -> list[PatientLinkAccess]:
    """The runner's ten latest uses of their link, for the plan page (SQL compiled once)."""
    accesses = compiled(_recent_link_accesses, PatientLinkAccess).instances({ANY_ID: link.pk})
    for access in accesses:
        access.link = link
    return accesses


def proposal_states(*, plan: Plan, rows: PlanRows) -> list[ProposalState]:
    """Each prescription's proposal and, when the PT has answered it, their latest decision
    (who, when, what), from the plan's loaded rows (no query)."""
    latest: dict[int, ProgressionDecision] = {}
    for decision in sorted(rows.decisions, key=lambda decision: decision.decided_at):
        latest[decision.prescription_id] = decision
    states = []
    for prescription, proposal in _proposals(
        plan=plan, prescriptions=rows.prescriptions, logs=rows.logs, now=timezone.now()
    ):
        decision = latest.get(prescription.pk)
        answered = decision is not None and _answered(prescription, rows.logs, decision.decided_at)
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


ACTIVE = (Plan.Status.DRAFT, Plan.Status.ISSUED)


def active_plans_for_user(*, user) -> QuerySet[Plan]:
    return plans_for_user(user=user).filter(status__in=ACTIVE)


def _worsening(since: dt.date) -> dict:
    """The annotations of the worsening alert: the clinician's last action on the plan (a log or
    a decision), and how many runner logs of the window since then had the next morning worse
    (``worse_mornings``) or pain travelling down the leg (``travelled``)."""
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

    def recent_patient_logs(**which) -> Coalesce:
        """How many runner logs of the window since the clinician's last action match: one
        count per plan (a join counted in a FILTER recomputed the last action per log)."""
        logs = (
            SessionLog.objects.filter(
                plan=OuterRef("pk"),
                reported_by=SessionLog.ReportedBy.PATIENT,
                session_date__gte=since,
                created_at__gt=OuterRef("last_clinician_action"),
                **which,
            )
            .order_by()
            .values("plan")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return Coalesce(Subquery(logs), 0)

    return {
        "last_clinician_action": last_clinician_action,
        "worse_mornings": recent_patient_logs(next_morning="worse"),
        "travelled": recent_patient_logs(pain_travelled_down_leg=True),
    }


# The worsening alert: the next morning worse twice, or pain down the leg once, in the window.
WORSE_MORNINGS_ALERT = 2
TRAVELLED_ALERT = 1
WORSENING = Q(worse_mornings__gte=WORSE_MORNINGS_ALERT) | Q(travelled__gte=TRAVELLED_ALERT)


def is_worsening(*, worse_mornings: int, travelled: int) -> bool:
    """``WORSENING`` for counts already read (the dashboard's plans, an inbox entry)."""
    return worse_mornings >= WORSE_MORNINGS_ALERT or travelled >= TRAVELLED_ALERT


def plans_with_worsening_alerts(*, user, today: dt.date | None = None) -> QuerySet[Plan]:
    """Active plans where recent patient logs show the next morning worse twice, or pain that
    travelled down the leg, since the clinician last acted on the plan (a log or a decision)."""
    today = today or timezone.localdate()
    return (
        active_plans_for_user(user=user)
        .annotate(**_worsening(today - dt.timedelta(days=ALERT_WINDOW_DAYS)))
        .filter(WORSENING)
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
        return is_worsening(worse_mornings=self.worse_mornings, travelled=self.travelled)

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


@dataclass(frozen=True)
class Inbox:
    """The first entries of the inbox, and how many plans have news in all."""

    entries: list[InboxEntry]
    total: int


# What the dashboard's lists, the inbox and the engine's proposals read of a plan and its
# patient: the rest (the patient's contact details and notes among them) is not read for it.
DASHBOARD_PLAN_FIELDS = (
    "patient__first_name",
    "patient__last_name",
    "diagnosis",
    "status",
    "current_phase",
    "cleared_to_run",
    "starts_on",
    "updated_at",
)


@lru_cache(maxsize=256)
def _active_plans_query(user_id: int, today: dt.date) -> CompiledQuery:
    """Every active plan of the user's clinics with its patient and, in one query, what the
    dashboard's three lists need: the worsening counts, the last session (due for follow-up),
    when the user last opened it, its latest issue, the newest runner log and returned
    questionnaire (news when newer than the opening: compared here, so the opening's subquery
    is not repeated inside theirs), and whether a ladder has a session logged after its latest
    decision (a proposal may be waiting). Ordered newest plan first.

    Kept per user and day, compiled (its shape and values are the same all day): building and
    compiling its dozen subqueries cost Django as much as the database took to run it
    (``clinic.compiled``).
    """
    seen = (
        AccessEvent.objects.filter(
            user=user_id,  # the audit's (user, object type, object id, -at) index
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
    last_session = (
        SessionLog.objects.filter(plan=OuterRef("pk"))
        .order_by("-session_date")
        .values("session_date")[:1]
    )
    newest_log = (
        SessionLog.objects.filter(plan=OuterRef("pk"), reported_by=SessionLog.ReportedBy.PATIENT)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    newest_questionnaire = (
        OutcomeMeasurement.objects.filter(patient=OuterRef("patient_id"))
        .filter(Q(plan__isnull=True) | Q(plan=OuterRef("pk")))
        .exclude(recorded_by=user_id)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    last_decision = (
        ProgressionDecision.objects.filter(prescription=OuterRef("pk"))
        .order_by("-decided_at")
        .values("decided_at")[:1]
    )
    logged_since_decision = SessionLog.objects.filter(
        plan=OuterRef("plan_id"),
        session_date__gte=OuterRef("step_since"),
        created_at__gt=Coalesce(OuterRef("last_decided_at"), Value(EPOCH)),
    )
    # The first such ladder's id, as a scalar subquery: run per active plan on the plan index.
    # PostgreSQL turned an EXISTS here into a hash of every prescription and session log.
    undecided = (
        Prescription.objects.filter(plan=OuterRef("pk"))
        .annotate(last_decided_at=Subquery(last_decision))
        .filter(Exists(logged_since_decision))
        .values("pk")[:1]
    )
    return CompiledQuery.of(
        Plan.objects.filter(patient__clinic__memberships__user=user_id, status__in=ACTIVE)
        .select_related("patient")
        .only(*DASHBOARD_PLAN_FIELDS)
        .annotate(**_worsening(today - dt.timedelta(days=ALERT_WINDOW_DAYS)))
        .annotate(
            seen_at=Subquery(seen),
            last_session=Subquery(last_session),
            last_issued_at=Subquery(last_issue),
            newest_log_at=Subquery(newest_log),
            newest_questionnaire_at=Subquery(newest_questionnaire),
            undecided_prescription=Subquery(undecided),
        )
    )


def _active_plans_with_news(*, user, today: dt.date) -> list[Plan]:
    """The active plans of ``_active_plans_query``, a runner log or questionnaire counting as
    news only when newer than the plan's last opening."""
    plans = _active_plans_query(user.pk, today).instances({})
    for plan in plans:
        since = plan.seen_at or EPOCH
        if plan.newest_log_at is not None and plan.newest_log_at <= since:
            plan.newest_log_at = None
        if plan.newest_questionnaire_at is not None and plan.newest_questionnaire_at <= since:
            plan.newest_questionnaire_at = None
    return plans


@dataclass
class _EntryRows:
    """The rows an inbox entry is worked out from, loaded for a few plans at once."""

    prescriptions: list[Prescription]
    logs: list[SessionLog]


def _candidate_prescriptions() -> QuerySet[Prescription]:
    return Prescription.objects.filter(plan__in=ANY_IDS).annotate(
        last_decided_at=Max("decisions__decided_at")
    )


def _candidate_logs() -> QuerySet[SessionLog]:
    return SessionLog.objects.filter(plan__in=ANY_IDS).order_by("created_at", "pk")


def _entry_rows(plans: list[Plan]) -> dict[int, _EntryRows]:
    """Per plan: its prescriptions (with the latest decision) and its logs, oldest first (two
    queries compiled once per process, grouped here rather than prefetched: no queryset per
    plan; ``clinic.compiled``: compiling them cost more than running them)."""
    rows = {plan.pk: _EntryRows([], []) for plan in plans}
    if not rows:
        return rows
    ids = list(rows)
    for prescription in compiled(_candidate_prescriptions, Prescription).instances_of_ids(ids):
        rows[prescription.plan_id].prescriptions.append(prescription)
    for log in compiled(_candidate_logs, SessionLog).instances_of_ids(ids):
        rows[log.plan_id].logs.append(log)
    return rows


def _questionnaires(plans: list[Plan], *, user) -> dict[int, list[OutcomeMeasurement]]:
    """Per patient of ``plans``: the outcome measurements not entered by ``user``, oldest first."""
    found: dict[int, list[OutcomeMeasurement]] = {plan.patient_id: [] for plan in plans}
    if found:
        measurements = (
            OutcomeMeasurement.objects.filter(patient__in=found)
            .exclude(recorded_by=user)
            .defer("responses")
            .order_by("created_at", "pk")
        )
        for measurement in measurements:
            found[measurement.patient_id].append(measurement)
    return found


def _worsens(plan: Plan) -> bool:
    return is_worsening(worse_mornings=plan.worse_mornings, travelled=plan.travelled)


def _is_due(plan: Plan, cutoff: dt.date) -> bool:
    """No session since ``cutoff`` (or none at all, on a plan started by then)."""
    if plan.last_session is None:
        return plan.starts_on <= cutoff
    return plan.last_session < cutoff


def _definite_latest(plan: Plan) -> dt.datetime | None:
    """When the newest item came in, counting everything but a waiting proposal."""
    times = [plan.newest_log_at, plan.newest_questionnaire_at]
    if pdf_out_of_date(plan=plan, issued_at=plan.last_issued_at):
        times.append(plan.updated_at)
    return max((t for t in times if t is not None), default=None)


def _inbox_key(plan: Plan, latest: dt.datetime | None) -> tuple[bool, float]:
    """The inbox's order: worsening first, then the newest news."""
    return (not _worsens(plan), -(latest or EPOCH).timestamp())


@dataclass(frozen=True)
class Dashboard:
    """The dashboard's plan lists, each the first few of the list and the count of all."""

    alerts: list[Plan]
    alerts_total: int
    due: list[Plan]
    due_total: int
    inbox: Inbox


def dashboard_plans(
    *,
    user,
    size: int | None,
    inbox_size: int,
    inbox_start: int = 0,
    today: dt.date | None = None,
) -> Dashboard:
    """The active plans of the user's clinics, as the dashboard lists them (the first ``size``
    alerts and plans due, all with None, and the count of each):

    - alerts: worsening reported by the runner (``plans_with_worsening_alerts``), newest plan
      first;
    - due for follow-up: no session for ``FOLLOW_UP_AFTER_DAYS``, longest waiting first (a plan
      never logged counts from its start);
    - the inbox: per plan, the runner's logs and notes and the questionnaires returned since
      ``user`` last opened the plan page (the read audit records each opening), proposals
      waiting for a decision, an issued PDF older than the plan's last change; worsening
      first, then the newest; ``inbox_size`` entries from ``inbox_start``.

    What each plan has is worked out in the database in one query for every active plan; the
    rows an inbox entry shows (prescriptions, logs, questionnaires) are loaded in three more,
    only for the entries shown and for the plans whose place depends on a proposal waiting,
    which the engine decides from the loaded rows (its answer kept for the entry). Four
    queries however many plans.
    """
    today = today or timezone.localdate()
    plans = _active_plans_with_news(user=user, today=today)
    now = timezone.now()
    alerts = [plan for plan in plans if _worsens(plan)]
    cutoff = today - dt.timedelta(days=FOLLOW_UP_AFTER_DAYS)
    due = sorted(
        (plan for plan in plans if _is_due(plan, cutoff)),
        key=lambda plan: (plan.last_session is not None, plan.last_session, plan.starts_on),
    )
    # A waiting proposal counts only when the engine proposes a move, and it can only move a
    # plan up (its news came in when the plan last changed): decide it where that changes
    # whether the plan is listed at all, or could bring it among the entries shown. Whatever
    # the engine says, the entries shown are among those plans and the first of the others.
    for plan in plans:
        plan.definite_latest = _definite_latest(plan)
    ranked = sorted(
        (plan for plan in plans if _worsens(plan) or plan.definite_latest is not None),
        key=lambda plan: _inbox_key(plan, plan.definite_latest),
    )
    window = inbox_start + inbox_size
    last_shown = (
        _inbox_key(ranked[window - 1], ranked[window - 1].definite_latest)
        if (window and len(ranked) >= window)
        else None
    )

    def may_matter(plan: Plan) -> bool:
        if plan.definite_latest is None and not _worsens(plan):
            return True  # listed only when a proposal waits
        if not window:
            return False  # no entry shown, and listed either way
        moved = _inbox_key(plan, max(plan.definite_latest or EPOCH, plan.updated_at))
        return last_shown is None or moved <= last_shown

    undecided = [
        plan
        for plan in plans
        if plan.undecided_prescription is not None
        and (plan.definite_latest is None or plan.updated_at > plan.definite_latest)
        and may_matter(plan)
    ]
    candidates = {plan.pk: plan for plan in undecided}
    undecided_pks = set(candidates)
    candidates.update((plan.pk, plan) for plan in ranked[: inbox_start + inbox_size])
    rows = _entry_rows(list(candidates.values()))
    waiting = {
        plan.pk: _waiting_proposals(
            plan=plan, prescriptions=rows[plan.pk].prescriptions, logs=rows[plan.pk].logs, now=now
        )
        for plan in candidates.values()
    }
    keys = []
    for plan in plans:
        latest = plan.definite_latest
        if plan.pk in undecided_pks and waiting[plan.pk]:
            latest = max(latest or EPOCH, plan.updated_at)
        if _worsens(plan) or latest is not None:
            keys.append((*_inbox_key(plan, latest), plan))
    keys.sort(key=lambda key: key[:2])  # stable: worsening first, newest within
    shown = [plan for _, _, plan in keys[inbox_start:window]]
    questionnaires = _questionnaires(
        [plan for plan in shown if plan.newest_questionnaire_at is not None], user=user
    )
    entries = [
        _inbox_entry(
            plan,
            logs=rows[plan.pk].logs,
            waiting=waiting[plan.pk],
            questionnaires=questionnaires.get(plan.patient_id, []),
        )
        for plan in shown
    ]
    return Dashboard(
        alerts=alerts[:size],
        alerts_total=len(alerts),
        due=due[:size],
        due_total=len(due),
        inbox=Inbox(entries=entries, total=len(keys)),
    )


def _inbox_entry(
    plan: Plan,
    *,
    logs: list[SessionLog],
    waiting: list[ProposalState],
    questionnaires: list[OutcomeMeasurement],
) -> InboxEntry:
    since = plan.seen_at or EPOCH
    return InboxEntry(
        plan=plan,
        seen_at=plan.seen_at,
        new_logs=[
            log
            for log in logs
            if log.reported_by == SessionLog.ReportedBy.PATIENT and log.created_at > since
        ],
        waiting=waiting,
        questionnaires=[
            measurement
            for measurement in questionnaires
            if measurement.created_at > since and measurement.plan_id in (None, plan.pk)
        ],
        pdf_out_of_date=pdf_out_of_date(plan=plan, issued_at=plan.last_issued_at),
        worse_mornings=plan.worse_mornings,
        travelled=plan.travelled,
    )


def _waiting_proposals(*, plan: Plan, prescriptions, logs, now) -> list[ProposalState]:
    """The undecided proposals asking for a move, from loaded rows; the engine runs only for
    ladders with a session logged after their latest decision."""
    prescriptions = [
        prescription
        for prescription in prescriptions
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


def get_plan_template_for_clinic(*, clinic_id, pk) -> PlanTemplate:
    """A template of the clinic (404 otherwise: the caller's record is already scoped)."""
    return get_object_or_404(PlanTemplate, clinic_id=clinic_id, pk=pk)


def _start_from_rows(queryset, *, kind: str, name, phase: str, starts_on) -> QuerySet:
    """(kind, pk, name, diagnosis, phase, start date) of a template or a plan, for the UNION."""
    return (
        queryset.order_by()
        .annotate(
            start_kind=Value(kind, output_field=CharField()),
            start_pk=F("pk"),
            start_name=name,
            start_diagnosis=F("diagnosis"),
            start_phase=F(phase),
            start_on=starts_on,
        )
        .values_list(
            "start_kind", "start_pk", "start_name", "start_diagnosis", "start_phase", "start_on"
        )
    )


def start_from_choices(
    *, clinic_id, patient_id, diagnosis: str, exclude_plan_pk=None
) -> list[tuple[str, str]]:
    """What a phase may start from: the clinic's templates (those made for ``diagnosis``
    first, then by name) and the patient's other plans (newest first), as ``template-<pk>`` /
    ``plan-<pk>`` choices. One UNION query (the plan page's two were a query each)."""
    templates = _start_from_rows(
        PlanTemplate.objects.filter(clinic_id=clinic_id),
        kind="template",
        name=F("name"),
        phase="phase",
        starts_on=Value(None, output_field=DateField()),
    )
    plans = _start_from_rows(
        Plan.objects.filter(patient_id=patient_id).exclude(pk=exclude_plan_pk),
        kind="plan",
        name=Value("", output_field=CharField()),
        phase="current_phase",
        starts_on=F("starts_on"),
    )
    rows = list(templates.union(plans, all=True))
    causes = dict(CAUSE_CHOICES)
    chosen = sorted(
        (row for row in rows if row[0] == "template"),
        key=lambda row: (row[3] != diagnosis, row[2].lower(), row[2], row[1]),
    )
    earlier = sorted(
        (row for row in rows if row[0] == "plan"), key=lambda row: (row[5], row[1]), reverse=True
    )
    return [
        *(
            (f"template-{pk}", f"Template: {name} ({causes.get(cause, cause)}, phase {phase})")
            for _, pk, name, cause, phase, _ in chosen
        ),
        *(
            (
                f"plan-{pk}",
                f"Earlier plan: {causes.get(cause, cause)} from {starts_on:%d %b %Y}, "
                f"phase {phase}",
            )
            for _, pk, _, cause, phase, starts_on in earlier
        ),
    ]


@dataclass(frozen=True)
class LibraryEntry:
    """One ladder step in the plan's library: its fit for the plan's phase, and whether the
    plan already has its ladder."""

    fit: engine.compose.StepFit
    ladder_name: str
    in_plan: bool

    @property
    def step(self) -> engine.Step:
        return self.fit.step

    @property
    def addable(self) -> bool:
        return self.fit.allowed and not self.in_plan and self.step.ladder != "running"


LIBRARY_SHOWS = {
    "protocol": "What the protocol allows in this phase",
    "addable": "Also items outside the protocol (need a reason)",
    "all": "Everything, with why the rest cannot be added",
}


def plan_library(*, plan: Plan, query: str = "", show: str = "protocol") -> list[LibraryEntry]:
    """Every ladder step and activity in the knowledge, with its fit for the plan's current
    phase, narrowed by ``query`` (words of the step's name, ladder or purpose) and ``show``
    (``LIBRARY_SHOWS``: by default what the protocol allows and the plan has not got). One
    query: the plan's ladders."""
    in_plan = set(plan.prescriptions.values_list("ladder", flat=True))
    words = query.lower().split()
    entries = []
    for fit in engine.compose.library(engine.protocol(plan.diagnosis), plan.current_phase):
        ladder = engine.ladder(fit.step.ladder)
        entry = LibraryEntry(fit=fit, ladder_name=ladder.name, in_plan=fit.step.ladder in in_plan)
        text = f"{fit.step.name} {ladder.name} {fit.step.purpose}".lower()
        if words and not all(word in text for word in words):
            continue
        if show != "all" and not entry.addable:
            continue
        if show == "protocol" and fit.needs_reason:
            continue
        entries.append(entry)
    return entries
