"""Writes to plans: build from a signed assessment, adjust, log, progress, issue.

Each service takes keyword arguments, does one clinical action in one transaction, and leaves
the reasoning to the plain-Python engine in ``rehab.engine``.
"""

import datetime as dt
import logging
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone

from assessments.models import Assessment
from clinic.audit import describe
from clinic.models import AccessEvent, Membership
from clinic.selectors import is_anonymised
from rehab import engine, outcomes
from rehab.documents import issued_document_store
from rehab.models import (
    RUNNER_CORRECTION_WINDOW,
    IssuedDocument,
    IssueRequest,
    OutcomeMeasurement,
    PatientLink,
    PatientLinkAccess,
    Plan,
    Prescription,
    ProgressionDecision,
    QuestionnaireRequest,
    SessionLog,
    new_patient_token,
)
from rehab.pdf import render_plan_pdf
from rehab.selectors import (
    WORSE_MORNINGS_ALERT,
    patient_link_url,
    plan_preview,
    plans_with_worsening_alerts,
)

logger = logging.getLogger(__name__)

# Sessions a runner can send through one link in an hour: a few a day is the real use; more is
# someone filling the record (issue 12). Counted in the database, so no cache server is needed.
LINK_POSTS_PER_HOUR = 20

MAX_EXERCISES_PER_PHASE = 5  # adherence falls as the count grows (issue 4)

# A PDF render that fails is tried this many times in all, a little later each time, before the
# PT is told it failed (issue 16).
ISSUE_ATTEMPTS = 3
ISSUE_RETRY_AFTER = dt.timedelta(seconds=10)
# A request no worker has finished by then is given up, so the PT can ask again (a worker that
# is not running, or that died mid-render).
ISSUE_GIVEN_UP_AFTER = dt.timedelta(minutes=10)
ISSUE_FAILED = (
    "The PDF could not be made after {attempts} tries, so nothing was issued. Try again; if it "
    "fails again, tell whoever looks after the clinic's system."
)
ISSUE_NO_WORKER = (
    "No task worker prepared the PDF within {minutes} minutes, so nothing was issued. Try "
    "again; if it happens again, the task worker is not running."
)
ISSUE_QUEUE_DOWN = (
    "The task queue could not be reached, so nothing was issued. Try again in a minute."
)


def phase_exercise_count(*, prescriptions, phase) -> int:
    """What the runner is asked to train in a phase: the ladder exercises and the progressed
    activities (e.g. the Askling extender), running and advice (sitting, crutches, the morning
    check) aside, plus the phase's activities still listed as text (e.g. a bike session)."""
    return sum(p.ladder != "running" and p.is_progressed for p in prescriptions) + len(phase.other)


class ReferFirstError(Exception):
    """No exercise plan: the engine says refer first (red flag or suspected avulsion)."""

    def __init__(self, refer: engine.ReferFirst):
        self.refer = refer
        super().__init__(refer.reason)


def _dose_fields(dose: engine.Dose) -> dict:
    return {
        "sets": dose.sets,
        "reps": dose.reps or "",
        "hold_seconds": dose.hold_seconds,
        "tempo": dose.tempo or "",
        "rest_seconds": dose.rest_seconds,
        "load": dose.load or "",
        "sessions_per_week": dose.sessions_per_week,
        "session": dose.session or "",
    }


@transaction.atomic
def plan_create(*, assessment: Assessment, clinician, weekly_km: Decimal | None = None) -> Plan:
    """A draft plan at phase 1 of the working diagnosis's protocol, every dose editable; the
    running ladder starts from the runner's current ``weekly_km`` (0: not running; None: not
    asked, the protocol's phase-1 step)."""
    if not assessment.is_signed or not assessment.working_diagnosis:
        raise ValidationError("Sign the assessment with a working diagnosis before planning.")
    draft = plan_preview(
        assessment=assessment, weekly_km=None if weekly_km is None else float(weekly_km)
    )
    if isinstance(draft, engine.ReferFirst):
        raise ReferFirstError(draft)
    today = timezone.localdate()
    plan = Plan.objects.create(
        patient=assessment.patient,
        assessment=assessment,
        diagnosis=draft.diagnosis,
        knowledge_version=draft.knowledge_version,
        weekly_km=weekly_km,
        starts_on=today,
        created_by=clinician,
    )
    items = (*draft.exercises, *draft.activities)
    for position, exercise in enumerate(items):
        Prescription.objects.create(
            plan=plan,
            ladder=exercise.ladder,
            step_code=exercise.code,
            note=exercise.note or "",
            position=position,
            step_since=today,
            **_dose_fields(exercise.dose),
        )
    Prescription.objects.create(
        plan=plan,
        ladder="running",
        step_code=draft.running.step.code,
        note=" ".join(filter(None, (draft.running.start_note, draft.running.note))),
        position=len(items),
        step_since=today,
        **_dose_fields(draft.running.step.dose),
    )
    PatientLink.objects.create(plan=plan)
    return plan


def _check_phase_allows(
    *, plan: Plan, step: engine.Step, field: str, phase: int | None = None
) -> None:
    """Refuse a step above the highest one the plan's phase allows (protocols.toml ceilings):
    nothing a PT enters moves a plan past its phase; moving the phase on is its own action.
    Nor, before the clearance its protocol asks for (the hip, bone), a step with running in it."""
    phase = phase or plan.current_phase
    ceiling = engine.phase_ceiling(engine.protocol(plan.diagnosis), phase, step.ladder)
    if ceiling is not None and step.position > ceiling.step.position:
        later = engine.phase_allowing(engine.protocol(plan.diagnosis), step, after=phase)
        when = f"comes with phase {later}" if later else "is not in this protocol"
        move_on = " Move the plan to the next phase first." if later else ""
        raise ValidationError(
            {
                field: f"{step.name} {when}; phase {phase} goes up to "
                f"{ceiling.step.name}. {ceiling.why}{move_on}"
            }
        )
    check_cleared_to_run(plan=plan, step=step, field=field)


def _before_clearance(*, plan: Plan, step: engine.Step) -> engine.Step:
    """``step``, or the highest step below it without running while the clearance the protocol
    asks for before running (the hip, bone) is not recorded on the plan."""
    protocol = engine.protocol(plan.diagnosis)
    return engine.step_before_clearance(
        step,
        protocol=protocol,
        tissue=engine.tissue(protocol.tissue) if protocol.tissue else None,
        cleared_to_run=plan.cleared_to_run,
    )


def check_cleared_to_run(*, plan: Plan, step: engine.Step, field: str) -> None:
    """Refuse a step with running in it until the plan records the clearance its protocol
    asks for (e.g. the hip: a femoral-neck stress fracture ruled out)."""
    if _before_clearance(plan=plan, step=step).code != step.code:
        clearance = engine.protocol(plan.diagnosis).running_clearance
        needed = clearance.physio if clearance else "A doctor's clearance to run."
        raise ValidationError(
            {field: f"{step.name} includes running: record the clearance first. {needed}"}
        )


# The PT's own numbers that carry over when a step moves up, and which way is the safe side:
# volume never above the new step's standard, rest never below it (issue 14).
KEPT_NOT_ABOVE = ("sets", "hold_seconds", "sessions_per_week")
KEPT_NOT_BELOW = ("rest_seconds",)


def carried_dose(*, prescription: Prescription, old: engine.Step, new: engine.Step) -> dict:
    """The dose for ``prescription`` on ``new``: the new step's standard, except the numbers the
    PT had changed from ``old``'s standard, kept on the safe side of the new standard.

    Moving down a ladder (a regression answers pain) always takes the new step's standard, and
    so does the text that describes each step's own exercise (reps, tempo, load, the running
    session): a 15-repetition load is not a 6-repetition one. A number the new step does not
    use (no standard) is not carried, so nothing kept can exceed what the new step prescribes.
    """
    dose = _dose_fields(new.dose)
    if new.position < old.position:
        return dose
    standard_before = _dose_fields(old.dose)
    for name in (*KEPT_NOT_ABOVE, *KEPT_NOT_BELOW):
        mine, standard = getattr(prescription, name), dose[name]
        # Not set, not used on the new step (a hold on a step of repetitions), or not changed.
        if mine is None or standard is None or mine == standard_before[name]:
            continue
        if name in KEPT_NOT_ABOVE:
            dose[name] = min(mine, standard)
        else:
            dose[name] = max(mine, standard)
    return dose


def prescription_set_step(
    *, prescription: Prescription, step_code: str, phase: int | None = None
) -> Prescription:
    """Move a prescription to another step of its ladder, with the dose ``carried_dose`` gives
    (the step's standard, keeping the PT's own sets, holds, rest and sessions a week on the safe
    side of it when moving up).

    Raises ``ValidationError`` on ``step_code`` for a step off the ladder or above what the
    plan's phase (``phase``, default the plan's current one) allows.
    """
    step = engine.step(step_code)
    if step.ladder != prescription.ladder:
        raise ValidationError(
            {"step_code": f"{step.name} is not on the {prescription.ladder} ladder."}
        )
    _check_phase_allows(plan=prescription.plan, step=step, field="step_code", phase=phase)
    dose = carried_dose(
        prescription=prescription, old=engine.step(prescription.step_code), new=step
    )
    for name, value in dose.items():
        setattr(prescription, name, value)
    prescription.step_code = step.code
    prescription.step_since = timezone.localdate()
    prescription.save()
    plan_touch(plan=prescription.plan)
    return prescription


@transaction.atomic
def prescription_update(
    *,
    prescription: Prescription,
    step_code: str,
    note: str = "",
    version: int | None = None,
    sets: int | None = None,
    reps: str = "",
    hold_seconds: int | None = None,
    tempo: str = "",
    rest_seconds: int | None = None,
    load: str = "",
    sessions_per_week: int | None = None,
    session: str = "",
) -> Prescription:
    """Save the PT's edit of a prescription; a new step starts its count from today.

    Only the dose fields of its ladder are set (``Prescription.dose_fields``). Raises
    ``ValidationError`` naming the field for a step off the ladder or above the highest step
    the plan's current phase allows, or a value out of range, and
    ``clinic.integrity.StaleVersionError`` when someone else saved the prescription after
    ``version`` (the one the PT loaded; default: this copy's). Either way nothing is saved.
    """
    try:
        on_ladder = engine.step(step_code).ladder == prescription.ladder
    except KeyError:
        on_ladder = False
    if not on_ladder:
        raise ValidationError({"step_code": f"Choose a step on the {prescription.ladder} ladder."})
    _check_phase_allows(plan=prescription.plan, step=engine.step(step_code), field="step_code")
    dose = {
        "sets": sets,
        "reps": reps,
        "hold_seconds": hold_seconds,
        "tempo": tempo,
        "rest_seconds": rest_seconds,
        "load": load,
        "sessions_per_week": sessions_per_week,
        "session": session,
    }
    # Compared with the stored row: a bound ModelForm has already written the edit to its copy.
    stored_step = Prescription.objects.values_list("step_code", flat=True).get(pk=prescription.pk)
    if step_code != stored_step:
        prescription.step_since = timezone.localdate()
    if version is not None:
        prescription.version = version
    prescription.step_code = step_code
    prescription.note = note
    used = prescription.dose_fields
    for name in used:
        setattr(prescription, name, dose[name])
    prescription.clean_fields(exclude=["plan", *(set(dose) - set(used))])
    prescription.save()
    plan_touch(plan=prescription.plan)
    return prescription


def plan_touch(*, plan: Plan) -> None:
    """The PDF is dated when the plan last changed; changing a prescription changes the plan.

    Read afresh and saved, so the change history records it and no stale copy is written.
    """
    Plan.objects.filter(pk=plan.pk).update_with_history(updated_at=timezone.now())


def session_log_create(*, plan: Plan, recorded_by=None, **fields) -> SessionLog:
    """A session as the clinician (recorded_by set) or the patient (recorded_by None) logged it."""
    log = SessionLog(
        plan=plan,
        recorded_by=recorded_by,
        reported_by=SessionLog.ReportedBy.CLINICIAN
        if recorded_by
        else SessionLog.ReportedBy.PATIENT,
        **fields,
    )
    log.full_clean()
    log.save()
    return log


RUNNER_WINDOW_CLOSED = (
    f"This session was logged more than {RUNNER_CORRECTION_WINDOW.total_seconds() / 3600:.0f} "
    "hours ago, so it can no longer be changed here. Tell your physio what to correct: they can "
    "change it."
)


class CorrectionClosed(ValidationError):
    """The runner's correction window for a session has passed (or it is not theirs to change)."""


@transaction.atomic
def session_log_update(*, log: SessionLog, by_runner: bool, **fields) -> SessionLog:
    """Correct a logged session: the runner only their own, and only within
    ``RUNNER_CORRECTION_WINDOW`` of logging it (``CorrectionClosed`` after); the PT any time.

    Who changed it is recorded by django-simple-history (the request's user; none for the
    runner, with the change reason saying it came through the link).
    """
    log = SessionLog.objects.select_for_update().get(pk=log.pk)
    if by_runner:
        if not log.runner_may_change():
            raise CorrectionClosed(RUNNER_WINDOW_CLOSED)
        if log.reported_by != SessionLog.ReportedBy.PATIENT and set(fields) != {"next_morning"}:
            raise CorrectionClosed("Your physio logged this session: ask them to correct it.")
    for name, value in fields.items():
        setattr(log, name, value)
    log.full_clean()
    log._change_reason = (
        "corrected by the runner through the link" if by_runner else "corrected by the clinic"
    )
    log.save()
    return log


def session_log_add_next_morning(*, log: SessionLog, next_morning: str) -> SessionLog:
    """The runner's next-morning answer, stored on the session it is about."""
    return session_log_update(log=log, by_runner=True, next_morning=next_morning)


@transaction.atomic
def progression_decide(
    *,
    prescription: Prescription,
    proposal: engine.Proposal,
    clinician,
    to_step: str | None = None,
    override_reason: str = "",
) -> ProgressionDecision:
    """Accept the engine's proposal (to_step None) or override it with a reason; keep both."""
    to_step = to_step or proposal.target_step
    accepted = to_step == proposal.target_step
    if not accepted and not override_reason.strip():
        raise ValidationError({"override_reason": "Say why you are overriding the proposal."})
    _check_phase_allows(plan=prescription.plan, step=engine.step(to_step), field="to_step")
    decision = ProgressionDecision.objects.create(
        prescription=prescription,
        proposed_action=proposal.action,
        proposed_step=proposal.target_step,
        reason=proposal.reason,
        rule=proposal.rule,
        from_step=prescription.step_code,
        to_step=to_step,
        outcome=(
            ProgressionDecision.Outcome.ACCEPTED
            if accepted
            else ProgressionDecision.Outcome.OVERRIDDEN
        ),
        override_reason=override_reason.strip(),
        knowledge_version=proposal.knowledge_version,
        decided_by=clinician,
    )
    if to_step != prescription.step_code:
        prescription_set_step(prescription=prescription, step_code=to_step)
    else:
        # Holding restarts the count of sessions at this step from today.
        prescription.step_since = timezone.localdate()
        prescription.save(update_fields=["step_since"])
    return decision


@transaction.atomic
def plan_issue(
    *,
    plan: Plan,
    clinician,
    pdf: bytes,
    large_print: bool = False,
    link_pdf: bytes = b"",
) -> IssuedDocument:
    """Keep the PDF exactly as handed over, numbered per plan.

    ``link_pdf`` is the same document naming the runner by first name only, the one the link
    serves (none: the link offers no PDF for this version).
    """
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    if plan.status == Plan.Status.DRAFT:
        # Saved before the document, so the plan did not change after its issue (the PDF is
        # out of date when ``updated_at`` is later than the latest ``issued_at``).
        plan.status = Plan.Status.ISSUED
        plan.save(update_fields=["status", "updated_at"])
    latest = plan.documents.aggregate(latest=Max("version"))["latest"] or 0
    # The bytes are stored first; if the row fails, they are deleted (rehab.documents).
    with issued_document_store(
        plan_id=plan.pk, version=latest + 1, pdf=pdf, link_pdf=link_pdf
    ) as stored:
        document = IssuedDocument.objects.create(
            plan=plan,
            version=latest + 1,
            **stored,
            page_size=plan.patient.clinic.pdf_page_size,
            large_print=large_print,
            issued_by=clinician,
        )
    return document


def issue_request_create(*, plan: Plan, clinician, large_print: bool = False) -> IssueRequest:
    """Ask for the plan's PDF to be issued by a task worker; the PT's request returns at once.

    A request already in the works for this plan is returned instead of a second one (a double
    click, or the re-issue banner and the issue button both pressed); one older than
    ``ISSUE_GIVEN_UP_AFTER`` is given up first, with the reason.
    """
    from rehab.tasks import issue_plan_pdf  # the task calls back into this module

    with transaction.atomic():
        Plan.objects.select_for_update().only("pk").get(pk=plan.pk)  # one request at a time
        current = plan.issue_requests.filter(status__in=IssueRequest.OPEN).first()
        if current and timezone.now() - current.requested_at < ISSUE_GIVEN_UP_AFTER:
            return current
        if current:
            _issue_request_finish(
                current,
                status=IssueRequest.Status.FAILED,
                reason=ISSUE_NO_WORKER.format(
                    minutes=int(ISSUE_GIVEN_UP_AFTER.total_seconds() // 60)
                ),
            )
        issue_request = IssueRequest.objects.create(
            plan=plan, requested_by=clinician, large_print=large_print
        )
    # After the row is written: a worker on another connection must find it. With the database
    # backend inside an outer transaction, the task row commits with the request row.
    try:
        issue_plan_pdf.enqueue(issue_request_pk=issue_request.pk)
    except Exception:
        logger.exception("Could not enqueue the PDF issue of request %s", issue_request.pk)
        _issue_request_finish(
            issue_request, status=IssueRequest.Status.FAILED, reason=ISSUE_QUEUE_DOWN
        )
    return issue_request


def _issue_request_finish(
    issue_request: IssueRequest, *, status: str, reason: str = "", document=None
) -> None:
    issue_request.status = status
    issue_request.reason = reason
    issue_request.document = document
    issue_request.finished_at = timezone.now()
    issue_request.save(update_fields=["status", "reason", "document", "finished_at"])


def issue_request_run(*, issue_request_pk: int) -> IssueRequest:
    """The worker's half of an issue: render the PDF and its link copy, then issue them.

    The document and the request's "done" are saved in one transaction (through ``plan_issue``,
    which keeps the bytes and their hash), so a render or save that fails leaves no document.
    A failure is tried again up to ``ISSUE_ATTEMPTS`` times, then the request says why it
    failed. A request already finished or given up is left as it is (a task run twice).
    """
    with transaction.atomic():
        issue_request = (
            IssueRequest.objects.select_for_update()
            .select_related("plan", "requested_by")
            .get(pk=issue_request_pk)
        )
        if not issue_request.is_open:
            return issue_request
        issue_request.status = IssueRequest.Status.RUNNING
        issue_request.attempts += 1
        issue_request.save(update_fields=["status", "attempts"])
    plan = issue_request.plan
    try:
        pdf = render_plan_pdf(plan=plan, large_print=issue_request.large_print)
        link_pdf = render_plan_pdf(plan=plan, large_print=issue_request.large_print, for_link=True)
        with transaction.atomic():
            current = IssueRequest.objects.select_for_update().get(pk=issue_request.pk)
            if current.status != IssueRequest.Status.RUNNING:
                return current  # given up meanwhile: the PT may already have asked again
            document = plan_issue(
                plan=plan,
                clinician=issue_request.requested_by,
                pdf=pdf,
                link_pdf=link_pdf,
                large_print=issue_request.large_print,
            )
            _issue_request_finish(current, status=IssueRequest.Status.DONE, document=document)
            return current
    except Exception:
        logger.exception(
            "PDF issue of plan %s failed (request %s, try %s of %s)",
            plan.pk,
            issue_request.pk,
            issue_request.attempts,
            ISSUE_ATTEMPTS,
        )
    return _issue_request_try_again(issue_request_pk=issue_request.pk)


def _issue_request_try_again(*, issue_request_pk: int) -> IssueRequest:
    from rehab.tasks import issue_plan_pdf

    with transaction.atomic():
        issue_request = IssueRequest.objects.select_for_update().get(pk=issue_request_pk)
        if issue_request.status != IssueRequest.Status.RUNNING:
            return issue_request
        if issue_request.attempts >= ISSUE_ATTEMPTS:
            _issue_request_finish(
                issue_request,
                status=IssueRequest.Status.FAILED,
                reason=ISSUE_FAILED.format(attempts=issue_request.attempts),
            )
            return issue_request
        issue_request.status = IssueRequest.Status.WAITING
        issue_request.save(update_fields=["status"])
    task = issue_plan_pdf
    if task.get_backend().supports_defer:
        task = task.using(run_after=timezone.now() + ISSUE_RETRY_AFTER * issue_request.attempts)
    task.enqueue(issue_request_pk=issue_request.pk)
    return issue_request


def patient_link_revoke(*, link: PatientLink, clinician) -> PatientLink:
    link.revoked_at = timezone.now()
    link.revoked_by = clinician
    link.save(update_fields=["revoked_at", "revoked_by"])
    return link


def patient_link_set_base_url(*, link: PatientLink, base_url: str) -> PatientLink:
    """Store the scheme and host a plan is being issued with: the PDF, its QR code, the email
    and the plan page then all print this one address (``selectors.patient_link_url``)."""
    if link.base_url != base_url:
        link.base_url = base_url
        link.save(update_fields=["base_url"])
    return link


def patient_link_renew(*, link: PatientLink) -> PatientLink:
    """A fresh token after a revocation; the old one stays dead (its history is kept).

    Refused for an anonymised patient: erasure revoked the links for good.
    """
    if is_anonymised(link.plan.patient):
        raise ValidationError("This patient's record was anonymised: its links stay revoked.")
    link.token = new_patient_token()
    link.revoked_at = None
    link.revoked_by = None
    link.save(update_fields=["token", "revoked_at", "revoked_by"])
    return link


def patient_link_email_queue(*, plan: Plan, base_url: str = "") -> str:
    """Check the patient has an address, then leave the sending to a task worker; returns the
    address the email goes to.

    Raises ``ValidationError`` when the patient has no email address.
    """
    from rehab.tasks import email_patient_link  # the task calls back into this module

    if not plan.patient.email:
        raise ValidationError("This patient has no email address on record.")
    email_patient_link.enqueue(plan_pk=plan.pk, base_url=base_url)
    return plan.patient.email


def patient_link_email_send(*, plan: Plan, base_url: str = "") -> str:
    """Email the plan's link to the patient's address on record (never to one typed in, so a
    slip cannot send a patient's plan to someone else); returns the address.

    The link is the one on the issued PDF (``patient_link_url``; ``base_url`` before any issue).

    Raises ``ValidationError`` when the patient has no email address.
    """
    patient = plan.patient
    if not patient.email:
        raise ValidationError("This patient has no email address on record.")
    context = {
        "patient": patient,
        "clinic": patient.clinic,
        "link_url": patient_link_url(plan.patient_link, base_url=base_url),
    }
    subject = render_to_string("rehab/email/patient_link_subject.txt", context)
    send_mail(
        subject="".join(subject.splitlines()),
        message=render_to_string("rehab/email/patient_link_body.txt", context),
        from_email=None,
        recipient_list=[patient.email],
    )
    return patient.email


@transaction.atomic
def plan_advance_phase(*, plan: Plan, clinician) -> Plan:
    """Move to the protocol's next phase: each ladder starts at least at that phase's step.

    A runner already past a phase's starting step stays where they are; new ladders and
    activities are added; the activities the phase ``ends`` are removed (their history kept).
    """
    phases = engine.protocol(plan.diagnosis).phases
    if plan.current_phase >= len(phases):
        raise ValidationError("This plan is already in its last phase.")
    phase = phases[plan.current_phase]  # phases are numbered from 1
    starts = {item.ladder: item for item in (*phase.exercises, *phase.activities)}
    today = timezone.localdate()
    current = {p.ladder: p for p in plan.prescriptions.all()}
    for ladder, exercise in starts.items():
        prescription = current.get(ladder)
        if prescription is None:
            current[ladder] = Prescription.objects.create(
                plan=plan,
                ladder=ladder,
                step_code=exercise.code,
                note=exercise.note or "",
                position=len(current),
                step_since=today,
                **_dose_fields(exercise.dose),
            )
        elif _position(prescription.step_code) < exercise.step.position:
            prescription_set_step(
                prescription=prescription, step_code=exercise.code, phase=phase.number
            )
    for ladder in phase.ends:  # e.g. crutches, once the doctor allows full weight
        if ladder in current:
            current.pop(ladder).delete()
    running = current["running"]
    start = _before_clearance(plan=plan, step=phase.running)
    if _position(running.step_code) < start.position:
        prescription_set_step(prescription=running, step_code=start.code, phase=phase.number)
    plan.current_phase = phase.number
    plan.save(update_fields=["current_phase", "updated_at"])
    return plan


def _position(step_code: str) -> int:
    return engine.step(step_code).position


@transaction.atomic
def plan_set_cleared_to_run(*, plan: Plan, cleared: bool) -> Plan:
    """Record (or undo) the clearance to run the protocol asks for. Recording it lifts the
    running prescription to where the runner would have started had it been on record when the
    plan was built (their weekly km, within the current phase); undoing it steps a running
    step back to the highest step without running."""
    plan.cleared_to_run = cleared
    plan.save(update_fields=["cleared_to_run", "updated_at"])
    running = plan.prescriptions.filter(ladder="running").first()
    if running is None:
        return plan
    current = engine.step(running.step_code)
    target = _before_clearance(plan=plan, step=current)
    if cleared:
        protocol = engine.protocol(plan.diagnosis)
        start, start_note = engine.running_start(
            protocol,
            engine.tissue(protocol.tissue or ""),
            None if plan.weekly_km is None else float(plan.weekly_km),
            cleared_to_run=True,
        )
        phase = protocol.phase(plan.current_phase)
        start = max(start, phase.running, key=lambda s: s.position)
        ceiling = phase.ceiling("running")
        if ceiling is not None and start.position > ceiling.step.position:
            start = ceiling.step
        target = max(current, start, key=lambda s: s.position)
        if target.code != current.code:
            # The old note said running waits for the clearance; it now says where to start.
            running.note = " ".join(filter(None, (start_note, phase.running_note)))
    if target.code != current.code:
        prescription_set_step(prescription=running, step_code=target.code)
    return plan


def plan_end(*, plan: Plan) -> Plan:
    """End the plan; its patient link then expires after the clinic's grace period."""
    plan.status = Plan.Status.ENDED
    plan.ends_on = timezone.localdate()
    plan.save(update_fields=["status", "ends_on", "updated_at"])
    return plan


def patient_link_record_access(*, link: PatientLink, what: str) -> None:
    PatientLinkAccess.objects.create(link=link, what=what)


def patient_link_posts_left(*, link: PatientLink) -> int:
    """Sessions, corrections and questionnaires the link may still send this hour
    (``LINK_POSTS_PER_HOUR`` per rolling hour)."""
    since = timezone.now() - dt.timedelta(hours=1)
    posts = [PatientLinkAccess.What.LOG, PatientLinkAccess.What.EDIT, PatientLinkAccess.What.FORM]
    sent = link.accesses.filter(what__in=posts, accessed_at__gte=since).count()
    return max(LINK_POSTS_PER_HOUR - sent, 0)


@transaction.atomic
def outcome_measurement_record(
    *,
    patient,
    measure: str,
    measured_on,
    responses,
    recorded_by=None,
    plan=None,
    patient_reported: bool = False,
) -> OutcomeMeasurement:
    """Score the answers (raising ``outcomes.ScoringError``) and store them with the total."""
    if plan is not None and plan.patient_id != patient.pk:
        raise ValueError("the plan belongs to another patient")
    result = outcomes.score(measure, outcomes.applicable_responses(measure, responses))
    return OutcomeMeasurement.objects.create(
        patient=patient,
        plan=plan,
        measure=measure,
        measured_on=measured_on,
        responses=dict(result.responses),
        total=result.total,
        measures_version=outcomes.measures_version(),
        recorded_by=recorded_by,
        patient_reported=patient_reported,
    )


def phone_measures() -> tuple[outcomes.Measure, ...]:
    """The measures a runner may be sent on their link: those whose item wording is the
    published form's or the project's own. The VISA-H's wording is not verified
    (``measures.toml``), so a runner could not answer "Question 1"; the PT enters it."""
    return tuple(m for m in outcomes.measures() if m.item_wording in ("verified", "project"))


def questionnaire_request_create(*, plan: Plan, measure: str, requested_by) -> QuestionnaireRequest:
    """Ask the runner to answer ``measure`` on their link; one open request per measure."""
    phone = {m.code: m for m in phone_measures()}
    if measure not in phone:
        raise ValidationError({"measure": "This questionnaire cannot be sent to the phone."})
    if plan.status == Plan.Status.ENDED:
        raise ValidationError({"measure": "The plan has ended: the runner's link shows no forms."})
    if plan.questionnaire_requests.filter(measure=measure, answered_at__isnull=True).exists():
        raise ValidationError(
            {"measure": f"The {phone[measure].short_name} already waits for the runner."}
        )
    request = QuestionnaireRequest(plan=plan, measure=measure, requested_by=requested_by)
    request.full_clean()
    request.save()
    return request


class QuestionnaireAlreadyAnswered(Exception):
    """The request was answered meanwhile (another tab, a double tap): nothing more is stored."""


@transaction.atomic
def questionnaire_answer(
    *, request: QuestionnaireRequest, responses, measured_on: dt.date
) -> OutcomeMeasurement:
    """Score the runner's answers (``outcomes.ScoringError`` names each wrong item), store them
    as a patient-reported measurement of the plan, and close the request, all or nothing."""
    locked = QuestionnaireRequest.objects.select_for_update().get(pk=request.pk)
    if locked.answered_at is not None:
        raise QuestionnaireAlreadyAnswered
    plan = locked.plan
    measurement = outcome_measurement_record(
        patient=plan.patient,
        measure=locked.measure,
        measured_on=measured_on,
        responses=responses,
        plan=plan,
        patient_reported=True,
    )
    locked.answered_at = timezone.now()
    locked.measurement = measurement
    locked.save(update_fields=["answered_at", "measurement"])
    return measurement


def worsening_digest_send(*, clinician, base_url: str) -> int:
    """Email one PT the plans whose runners reported worsening (the dashboard's alerts), once a
    day; returns how many plans it named (none: no email).

    Email is not the record: it names each patient by record number only, with what was
    reported and the plan's address behind the login, never a name, a diagnosis or a note.
    Still a disclosure: each record named gets an access event for the PT, written with the
    send (a failed send records nothing and is tried again).
    """
    plans = list(
        plans_with_worsening_alerts(user=clinician)
        .select_related(None)
        .select_related("patient__clinic")
        .order_by("patient__clinic__name", "patient__record_number", "pk")
    )
    if not plans or not clinician.email:
        return 0
    context = {
        "clinician": clinician,
        "alerts": [
            {
                "clinic": plan.patient.clinic.name,
                "record_number": plan.patient.record_number,
                "travelled": plan.travelled > 0,
                "worse_mornings": (
                    plan.worse_mornings if plan.worse_mornings >= WORSE_MORNINGS_ALERT else 0
                ),
                "url": base_url.rstrip("/") + plan.get_absolute_url(),
            }
            for plan in plans
        ],
    }
    with transaction.atomic():
        AccessEvent.objects.bulk_create(
            AccessEvent(
                patient_id=plan.patient_id,
                user=clinician,
                what=AccessEvent.What.DIGEST,
                object_type=Plan._meta.label_lower,
                object_id=plan.pk,
                object_repr=describe(Plan, plan.pk),
            )
            for plan in plans
        )
        send_mail(
            subject="".join(
                render_to_string("rehab/email/worsening_digest_subject.txt", context).splitlines()
            ),
            message=render_to_string("rehab/email/worsening_digest_body.txt", context),
            from_email=None,
            recipient_list=[clinician.email],
        )
    return len(plans)


def worsening_digest_recipients():
    """Every active clinician with an email address, in a clinic: who the daily digest is for."""
    return (
        get_user_model()
        .objects.filter(is_active=True, memberships__role=Membership.Role.CLINICIAN)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )
