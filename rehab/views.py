from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from assessments.selectors import get_assessment_for_user
from clinic import units
from clinic.audit import note_read, read_as
from clinic.form_rendering import blank_form_once
from clinic.integrity import StaleVersionError
from clinic.models import AccessEvent
from clinic.selectors import is_anonymised
from clinic.submissions import once_per_submission, submission_made
from rehab import engine
from rehab.chart_data import plan_chart_data_from_rows
from rehab.charts import plan_charts
from rehab.composer import plan_create_started_from
from rehab.composer_views import composer_context, report_start
from rehab.documents import IssuedDocumentUnreadable, issued_document_bytes
from rehab.forms import (
    DecisionForm,
    NextMorningForm,
    PlanCreateForm,
    PrescriptionForm,
    SessionLogForm,
)
from rehab.forms_outcomes import questionnaire_context
from rehab.models import (
    IssuedDocument,
    IssueRequest,
    PatientLinkAccess,
    Prescription,
    SessionLog,
)
from rehab.pdf import render_plan_pdf
from rehab.pdf.context import call_groups, prescription_cards
from rehab.selectors import (
    DeadPatientLink,
    cleared_red_flags,
    get_issued_document_for_user,
    get_plan_for_patient_token,
    get_plan_for_plan_page,
    get_plan_for_user,
    get_plan_template_for_clinic,
    get_prescription_for_user,
    get_runner_log,
    get_session_log_for_user,
    issue_request_overdue,
    latest_issue_request,
    link_base_url,
    link_documents,
    link_expires_on,
    next_morning_question,
    open_questionnaire_requests,
    patient_link_url,
    pdf_out_of_date,
    plan_documents,
    plan_rows,
    progression_proposals,
    proposal_states,
    recent_link_accesses,
    runner_changeable_logs,
    shown_issue_request,
)
from rehab.services import (
    ISSUE_ATTEMPTS,
    ISSUE_GIVEN_UP_AFTER,
    MAX_EXERCISES_PER_PHASE,
    RUNNER_WINDOW_CLOSED,
    CorrectionClosed,
    ReferFirstError,
    issue_request_create,
    patient_link_email_queue,
    patient_link_posts_left,
    patient_link_record_access,
    patient_link_renew,
    patient_link_revoke,
    patient_link_set_base_url,
    phase_exercise_count,
    plan_advance_phase,
    plan_end,
    plan_set_cleared_to_run,
    prescription_update,
    progression_decide,
    session_log_add_next_morning,
    session_log_create,
    session_log_update,
)


@require_POST
@once_per_submission
def plan_create_view(request, assessment_pk):
    assessment = get_assessment_for_user(user=request.user, pk=assessment_pk)
    form = PlanCreateForm(request.POST, unit=assessment.patient.clinic.distance_unit)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else "Plan"
            messages.error(request, f"{label}: {' '.join(errors)} No plan was built.")
        return redirect(assessment)
    template, source = _start_from(request, assessment, form.cleaned_data["start_from"])
    try:
        plan, report = plan_create_started_from(
            assessment=assessment,
            clinician=request.user,
            weekly_km=form.cleaned_data["weekly_km"],
            template=template,
            source=source,
        )
    except ReferFirstError as refer:
        messages.error(request, f"No exercise plan: refer first. {refer}")
        return redirect(assessment)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(assessment)
    submission_made(request, plan)
    messages.success(request, "Plan drafted from the working diagnosis. Adjust it, then issue it.")
    if report is not None:
        report_start(request, report)
    return redirect(plan)


def _start_from(request, assessment, choice):
    """The clinic template or the patient's earlier plan a new plan starts from (404 outside
    the user's clinics), as (template, plan); (None, None) for the protocol's phase 1."""
    if choice is None:
        return None, None
    kind, pk = choice
    if kind == "template":
        return get_plan_template_for_clinic(clinic_id=assessment.patient.clinic_id, pk=pk), None
    return None, get_plan_for_user(user=request.user, pk=pk)


def _plan_page(
    request, plan, *, log_form=None, decision_forms=None, questionnaire_form=None, status=200
):
    protocol = engine.protocol(plan.diagnosis)
    phase = protocol.phases[plan.current_phase - 1]
    rows = plan_rows(plan=plan)
    prescriptions = rows.prescriptions
    proposals = proposal_states(plan=plan, rows=rows) if rows.logs else []
    decision_forms = decision_forms or {}
    link = plan.patient_link
    documents = plan_documents(plan=plan)
    composer = composer_context(plan, prescriptions)
    context = {
        "plan": plan,
        "patient": plan.patient,
        "unit": plan.patient.clinic.distance_unit,  # distances in the clinic's unit
        "protocol": protocol,
        "phase": phase,
        "items": _item_rows(plan, prescriptions, outside=composer["outside"]),
        "too_many_exercises": phase_exercise_count(prescriptions=prescriptions, phase=phase)
        > MAX_EXERCISES_PER_PHASE,
        "max_exercises": MAX_EXERCISES_PER_PHASE,
        "proposals": [
            (
                state,
                decision_forms.get(state.prescription.pk)
                or DecisionForm(proposal=state.proposal, auto_id=_decision_ids(state.prescription)),
            )
            for state in proposals
        ],
        "logs": rows.logs[:20],
        "charts": plan_charts(
            plan_chart_data_from_rows(
                plan=plan,
                logs=rows.logs,
                prescriptions=prescriptions,
                decisions=rows.decisions,
                created=rows.created,
            )
        ),
        "log_form": log_form,  # a posted one with its errors; else the blank form, kept
        "blank_log_form": None if log_form else _blank_log_form(plan),
        "documents": documents,
        "reissue_needed": pdf_out_of_date(
            plan=plan, issued_at=documents[0].issued_at if documents else None
        ),
        "link": link,
        "link_url": patient_link_url(link, base_url=link_base_url(request)),
        "link_expires_on": link_expires_on(link),
        "link_accesses": recent_link_accesses(link=link),
        # Asked only of a revoked link (a query to the audit): the page offers a new one.
        "link_renewable": bool(link.revoked_at) and not is_anonymised(plan.patient),
        "cleared_red_flags": cleared_red_flags(assessment=plan.assessment),
        **_issue_context(plan, shown_issue_request(plan=plan)),
        **questionnaire_context(plan, form=questionnaire_form),
        **composer,
    }
    return render(request, "rehab/plan_detail.html", context, status=status)


@dataclass(frozen=True)
class _ItemRow:
    """One exercise or activity of the plan page, with what its row shows worked out once:
    its template was a fifth of the page's time (a URL reversed per button, the ladder's name
    twice, the clinic's unit read through the plan twice)."""

    prescription: Prescription
    step: engine.Step
    ladder_name: str
    image: str
    dose: str
    note: str
    outside: bool  # outside the protocol with the PT's reason: the row says so
    edit_url: str
    move_url: str
    remove_url: str


def _item_rows(plan, prescriptions, *, outside: set[int]) -> list[_ItemRow]:
    unit = plan.patient.clinic.distance_unit
    rows = []
    for prescription in prescriptions:
        step = engine.step(prescription.step_code)
        rows.append(
            _ItemRow(
                prescription=prescription,
                step=step,
                ladder_name=prescription.get_ladder_display(),
                image=static(step.static_path),
                dose=units.in_unit(prescription.dose.summary(), unit),
                note=units.in_unit(prescription.note, unit),
                outside=prescription.pk in outside and bool(prescription.outside_reason),
                edit_url=reverse("prescription_edit", args=[prescription.pk]),
                move_url=reverse("plan_item_move", args=[prescription.pk]),
                remove_url=reverse("plan_item_remove", args=[prescription.pk]),
            )
        )
    return rows


def _blank_log_form(plan) -> str:
    """The empty session form: the same for every plan of a clinic's unit on a given day."""
    today = timezone.localdate()
    unit = plan.patient.clinic.distance_unit
    return blank_form_once(
        (SessionLogForm, unit, today),
        lambda: SessionLogForm(plan=plan, initial={"session_date": today}),
    )


def _decision_ids(prescription) -> str:
    """One decision form per exercise on the page: ids must differ so each label finds its field."""
    return f"id_decision_{prescription.pk}_%s"


def plan_detail(request, pk):
    """The plan page; its audited opening is what the dashboard's inbox counts news from."""
    plan = get_plan_for_plan_page(user=request.user, pk=pk)
    return _plan_page(request, plan)


def prescription_edit(request, pk):
    prescription = get_prescription_for_user(user=request.user, pk=pk)
    form = PrescriptionForm(request.POST or None, instance=prescription)
    if request.method == "POST" and form.is_valid():
        try:
            prescription_update(prescription=prescription, **form.cleaned_data)
        except StaleVersionError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Exercise saved.")
            return redirect(prescription.plan)
    return render(
        request,
        "rehab/prescription_form.html",
        {
            "form": form,
            "prescription": prescription,
            "plan": prescription.plan,
            "patient": prescription.plan.patient,
            "step": engine.step(prescription.step_code),
        },
    )


@require_POST
def session_log_create_view(request, pk):
    plan = get_plan_for_user(user=request.user, pk=pk)
    form = SessionLogForm(request.POST, plan=plan)
    if form.is_valid():
        session_log_create(plan=plan, recorded_by=request.user, **form.cleaned_data)
        messages.success(request, "Session logged.")
        return redirect(plan)
    return _plan_page(request, plan, log_form=form, status=400)


@read_as(AccessEvent.What.PLAN)
def session_log_edit(request, pk):
    """The PT corrects a logged session at any time (the history names them)."""
    log = get_session_log_for_user(user=request.user, pk=pk)
    data = request.POST if request.method == "POST" else None
    form = SessionLogForm(data, plan=log.plan, instance=log)
    if request.method == "POST" and form.is_valid():
        session_log_update(log=log, by_runner=False, **form.cleaned_data)
        messages.success(request, "Session corrected.")
        return redirect(log.plan)
    context = {"form": form, "log": log, "plan": log.plan, "patient": log.plan.patient}
    status = 400 if form.errors else 200
    return render(request, "rehab/session_log_form.html", context, status=status)


@require_POST
def progression_decide_view(request, pk):
    prescription = get_prescription_for_user(user=request.user, pk=pk)
    plan = prescription.plan
    proposal = dict(progression_proposals(plan=plan)).get(prescription)
    if proposal is None:
        raise Http404
    form = DecisionForm(request.POST, proposal=proposal, auto_id=_decision_ids(prescription))
    if form.is_valid():
        try:
            progression_decide(
                prescription=prescription,
                proposal=proposal,
                clinician=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
    if form.errors:
        return _plan_page(request, plan, decision_forms={prescription.pk: form}, status=400)
    messages.success(request, f"{prescription.get_ladder_display()}: decision recorded.")
    return redirect(plan)


@require_POST
def plan_issue_view(request, pk):
    """Ask a task worker for the PDF; the plan page then says it is being prepared."""
    plan = get_plan_for_user(user=request.user, pk=pk)
    # The host the PT issues on (or the configured one) goes on the link first, so the PDF, its
    # QR code, the email and the plan page all print the same address.
    patient_link_set_base_url(link=plan.patient_link, base_url=link_base_url(request))
    issue_request = issue_request_create(
        plan=plan, clinician=request.user, large_print=request.POST.get("large_print") == "on"
    )
    issue_request.refresh_from_db()  # run already when the tasks run in the request
    _issue_message(request, issue_request)
    return redirect(plan)


def _issue_message(request, issue_request: IssueRequest) -> None:
    if issue_request.status == IssueRequest.Status.DONE:
        messages.success(request, f"Version {issue_request.document.version} issued.")
    elif issue_request.status == IssueRequest.Status.FAILED:
        messages.error(request, issue_request.reason)


@require_GET
def plan_issue_status(request, pk):
    """What the plan page polls (htmx) while its PDF is prepared: the same "preparing" block,
    or, once the request is finished, a reload of the page (a redirect without htmx)."""
    plan = get_plan_for_user(user=request.user, pk=pk)
    issue_request = latest_issue_request(plan=plan)
    if issue_request is not None and issue_request.is_open:
        return render(
            request, "rehab/includes/issue_status.html", _issue_context(plan, issue_request)
        )
    if not request.htmx:
        return redirect(plan)
    if issue_request is not None:
        _issue_message(request, issue_request)
    response = HttpResponse(status=204)
    response["HX-Refresh"] = "true"
    return response


def _issue_context(plan, issue_request: IssueRequest | None) -> dict:
    return {
        "plan": plan,
        "issue_request": issue_request,
        "issue_overdue": issue_request_overdue(issue_request, after=ISSUE_GIVEN_UP_AFTER),
        "issue_overdue_minutes": int(ISSUE_GIVEN_UP_AFTER.total_seconds() // 60),
        # Tries made that did not issue it (the one running now is not counted).
        "issue_failed_tries": (
            issue_request.attempts - (issue_request.status == IssueRequest.Status.RUNNING)
            if issue_request
            else 0
        ),
        "issue_attempts": ISSUE_ATTEMPTS,
    }


@read_as(AccessEvent.What.PREVIEW)
def plan_pdf_preview(request, pk):
    """The PDF as it would be issued now, to check before handing it over (not stored)."""
    plan = get_plan_for_user(user=request.user, pk=pk)
    pdf = render_plan_pdf(
        plan=plan,
        large_print=request.GET.get("large_print") == "on",
        base_url=link_base_url(request),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="plan-{plan.pk}-preview.pdf"'
    return response


def _pdf_response(document: IssuedDocument, *, for_link: bool = False) -> HttpResponse:
    if document.erased_at is not None:
        # The patient was anonymised on request: the bytes are gone, only their hash remains.
        return HttpResponse("This document was erased at the patient's request.", status=410)
    try:
        pdf = issued_document_bytes(document, "link_pdf" if for_link else "pdf")
    except IssuedDocumentUnreadable:
        # Missing or altered in storage: never hand over bytes that are not the issued ones.
        return HttpResponse(
            "This PDF cannot be shown: the stored copy is missing or is not the document that "
            "was issued. The clinic's administrator has been told (see the error log).",
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="plan-{document.plan_id}-v{document.version}.pdf"'
    )
    return response


def document_download(request, pk):
    document = get_issued_document_for_user(user=request.user, pk=pk)
    return _pdf_response(document)


@require_POST
def plan_advance_phase_view(request, pk):
    plan = get_plan_for_user(user=request.user, pk=pk)
    try:
        plan_advance_phase(plan=plan, clinician=request.user)
        messages.success(request, f"Moved to phase {plan.current_phase}.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(plan)


@require_POST
def plan_end_view(request, pk):
    plan = get_plan_for_user(user=request.user, pk=pk)
    plan_end(plan=plan)
    messages.success(
        request, "Plan ended. The patient link expires after the clinic's grace period."
    )
    return redirect(plan)


@require_POST
def plan_cleared_to_run_view(request, pk):
    plan = get_plan_for_user(user=request.user, pk=pk)
    plan_set_cleared_to_run(plan=plan, cleared=request.POST.get("cleared") == "yes")
    messages.success(
        request,
        "Recorded: cleared to run." if plan.cleared_to_run else "Recorded: not cleared to run.",
    )
    return redirect(plan)


@require_POST
def patient_link_action(request, pk, action):
    plan = get_plan_for_user(user=request.user, pk=pk)
    link = plan.patient_link
    if action == "revoke":
        patient_link_revoke(link=link, clinician=request.user)
        messages.success(request, "Link revoked: it now shows nothing.")
    elif action == "renew":
        try:
            patient_link_renew(link=link)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, "A new link was made; the old one stays dead.")
    elif action == "email":
        try:
            address = patient_link_email_queue(plan=plan, base_url=link_base_url(request))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"The link is on its way by email to {address}.")
    else:
        raise Http404
    return redirect(plan)


def _patient_headers(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _dead_link_page(request, dead: DeadPatientLink) -> HttpResponse:
    """One plain page for every link that shows no plan, in debug as in production (not the
    technical 404): only the clinic line, when the token was once real, tells them apart."""
    page = render(request, "rehab/patient_link_dead.html", {"clinic": dead.clinic}, status=404)
    return _patient_headers(page)


def _runner_plan(request, token):
    """The plan behind the link and the busy page when its posts this hour are used up:
    (plan, None), or (None, the answer to give instead)."""
    try:
        plan = get_plan_for_patient_token(token=token)
    except DeadPatientLink as dead:
        return None, _dead_link_page(request, dead)
    if request.method == "POST" and patient_link_posts_left(link=plan.patient_link) == 0:
        busy = render(request, "rehab/patient_link_busy.html", {"clinic": plan.patient.clinic})
        busy.status_code = 429
        busy["Retry-After"] = "3600"
        return None, _patient_headers(busy)
    return plan, None


def _runner_session_form(plan, data=None, **kwargs) -> SessionLogForm:
    return SessionLogForm(data, plan=plan, submit_label="Send to my physio", **kwargs)


def _runner_page(request, plan, token, *, form=None, morning_form=None):
    """The runner's page: the stop-and-call signs first, the next-morning question when one is
    due, each prescribed item with the PDF's own card text, the session form and recent logs."""
    protocol = engine.protocol(plan.diagnosis)
    tissue = engine.tissue(protocol.tissue or "")
    exercises, running = prescription_cards(
        plan=plan, prescriptions=plan.prescriptions.order_by("position", "pk"), tissue=tissue
    )
    question = next_morning_question(plan=plan)
    if question is not None and morning_form is None:
        morning_form = NextMorningForm(question=question[1])
    form = form or _runner_session_form(plan, initial={"session_date": timezone.localdate()})
    context = {
        "plan": plan,
        "first_name": plan.patient.first_name,
        "clinic": plan.patient.clinic,
        "call_groups": call_groups(protocol=protocol, tissue=tissue),
        "cards": [*exercises, *([running] if running else [])],
        # The phase's activities not yet carded (e.g. a bike session): listed, never hidden.
        "phase_other": protocol.phase(plan.current_phase).other,
        "latest_document": link_documents(plan=plan).first(),
        "form": form,
        "morning_form": morning_form if question is not None else None,
        "token": token,
        "recent_logs": plan.session_logs.filter(reported_by=SessionLog.ReportedBy.PATIENT)[:5],
        "changeable": set(runner_changeable_logs(plan=plan).values_list("pk", flat=True)),
        "questionnaires": open_questionnaire_requests(plan=plan),
    }
    status = 400 if form.errors or (morning_form is not None and morning_form.errors) else 200
    return _patient_headers(render(request, "rehab/patient_plan.html", context, status=status))


@login_not_required
@csrf_exempt
@read_as(AccessEvent.What.LINK_PAGE, post=AccessEvent.What.LINK_POST)
def patient_plan_page(request, token):
    """The runner's page: the current plan, its latest PDF, and a session log form.

    No CSRF token: the page is sent with ``Referrer-Policy: no-referrer``, so browsers post
    its form with ``Origin: null``, which Django's CSRF check refuses. CSRF guards ambient
    credentials (a session cookie); this page uses none — the secret token in the URL is the
    only credential, and whoever holds it can post anyway (so posts are limited per hour).
    """
    plan, refusal = _runner_plan(request, token)
    if plan is None:
        return refusal
    form = _runner_session_form(plan, request.POST or None)
    if request.method == "POST" and form.is_valid():
        session_log_create(plan=plan, recorded_by=None, **form.cleaned_data)
        patient_link_record_access(link=plan.patient_link, what=PatientLinkAccess.What.LOG)
        messages.success(request, "Thank you — your physio will see this session.")
        return _patient_headers(redirect(reverse("patient_plan_page", args=[token])))
    if request.method == "GET":
        patient_link_record_access(link=plan.patient_link, what=PatientLinkAccess.What.PAGE)
        form = None  # the page's own blank form, dated today
    return _runner_page(request, plan, token, form=form)


@login_not_required
@csrf_exempt
@require_POST
@read_as(AccessEvent.What.LINK_PAGE, post=AccessEvent.What.LINK_POST)
def patient_next_morning(request, token):
    """The runner's next-morning answer, stored on the latest session it asks about."""
    plan, refusal = _runner_plan(request, token)
    if plan is None:
        return refusal
    question = next_morning_question(plan=plan)
    page = reverse("patient_plan_page", args=[token])
    if question is None:
        messages.info(request, "There is no next-morning question to answer just now.")
        return _patient_headers(redirect(page))
    log, asked = question
    form = NextMorningForm(request.POST, question=asked)
    if not form.is_valid():
        return _runner_page(request, plan, token, morning_form=form)
    session_log_add_next_morning(log=log, next_morning=form.cleaned_data["next_morning"])
    patient_link_record_access(link=plan.patient_link, what=PatientLinkAccess.What.EDIT)
    messages.success(request, "Thank you — your answer is added to that session.")
    return _patient_headers(redirect(page))


@login_not_required
@csrf_exempt
@read_as(AccessEvent.What.LINK_PAGE, post=AccessEvent.What.LINK_POST)
def patient_session_edit(request, token, pk):
    """The runner corrects one of their logs within 48 hours of logging it; after that the page
    says why not (the PT can still correct it) and a post is refused with that reason."""
    plan, refusal = _runner_plan(request, token)
    if plan is None:
        return refusal
    log = get_runner_log(plan=plan, pk=pk)
    data = request.POST if request.method == "POST" else None
    form = SessionLogForm(data, plan=plan, instance=log, submit_label="Save my correction")
    if request.method == "POST" and form.is_valid():
        try:
            session_log_update(log=log, by_runner=True, **form.cleaned_data)
        except CorrectionClosed as closed:
            form.add_error(None, closed)
        else:
            patient_link_record_access(link=plan.patient_link, what=PatientLinkAccess.What.EDIT)
            messages.success(request, "Thank you — your correction is saved.")
            return _patient_headers(redirect(reverse("patient_plan_page", args=[token])))
    context = {
        "plan": plan,
        "first_name": plan.patient.first_name,
        "clinic": plan.patient.clinic,
        "token": token,
        "log": log,
        "form": form,
        "open": log.runner_may_change(),
        "closed_message": RUNNER_WINDOW_CLOSED,
    }
    status = 400 if form.errors else 200
    return _patient_headers(
        render(request, "rehab/patient_session_edit.html", context, status=status)
    )


@login_not_required
@read_as(AccessEvent.What.LINK_PDF)
def patient_plan_pdf(request, token):
    try:
        plan = get_plan_for_patient_token(token=token)
    except DeadPatientLink as dead:
        return _dead_link_page(request, dead)
    document = link_documents(plan=plan).first()
    if document is None:
        raise Http404
    note_read(document)  # the audit names the PDF handed out, not only the plan
    patient_link_record_access(link=plan.patient_link, what=PatientLinkAccess.What.PDF)
    return _patient_headers(_pdf_response(document, for_link=True))
