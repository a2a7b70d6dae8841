from functools import lru_cache

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from assessments.differential import Knowledge, knowledge_report, load_knowledge
from assessments.differential.panel import panel_view
from assessments.forms import AssessmentForm, RedFlagClearanceForm, SignForm, preview_findings
from assessments.models import Assessment, SignedAssessmentError
from assessments.selectors import (
    answered_sections,
    get_assessment_for_user,
    questions_not_asked,
    red_flag_statuses,
    resent_draft,
)
from assessments.services import (
    assessment_amend,
    assessment_discard,
    assessment_ranking,
    assessment_sign,
    assessment_update,
    clear_red_flag,
    findings_ranking,
)
from assessments.vocabulary import load_vocabulary
from clinic.integrity import StaleVersionError
from clinic.selectors import distance_unit_for_user, get_patient_for_user
from clinic.submissions import once_per_submission, submission_made

# While the PT types, the panel explains the leading causes; the saved assessment explains all.
PREVIEW_REASONS_FOR = 3


def _form_page(request, form, patient, assessment=None):
    findings, field_errors = form.findings_so_far()
    ranking = findings_ranking(findings=findings)
    context = {
        "form": form,
        "patient": patient,
        "assessment": assessment,
        "ranking": ranking,
        "panel": panel_view(findings, ranking),
        "field_errors": field_errors,
        "reasons_for": PREVIEW_REASONS_FOR,
    }
    return render(request, "assessments/assessment_form.html", context)


def _age_answer(patient, today):
    """The patient's age for the form, when the vocabulary's age question can hold it."""
    age = patient.age_on(today)
    field = load_vocabulary().field("age")
    return age if field.min <= age <= field.max else None


@once_per_submission
def assessment_create(request, patient_pk):
    patient = get_patient_for_user(user=request.user, pk=patient_pk)
    instance = Assessment(patient=patient, clinician=request.user)
    today = timezone.localdate()
    # Age comes from the date of birth, so age-gated red flags (under 18: the ischial
    # apophysis is open) never depend on the PT remembering to type it.
    form = AssessmentForm(
        request.POST or None,
        instance=instance,
        initial={"assessed_on": today, "sex": patient.sex, "age": _age_answer(patient, today)},
    )
    if request.method == "POST" and form.is_valid():
        resent = resent_draft(
            patient=patient,
            clinician=request.user,
            assessed_on=form.cleaned_data["assessed_on"],
            side=form.cleaned_data["side"],
            findings=form.findings(),
            notes=(form.cleaned_data["note_subjective"], form.cleaned_data["note_plan"]),
        )
        if resent is not None:
            submission_made(request, resent)
            messages.info(
                request, "These answers were already saved as this draft: no second one was made."
            )
            return redirect(resent)
        assessment = form.save()
        submission_made(request, assessment)
        messages.success(request, "Assessment saved as a draft.")
        return redirect(assessment)
    return _form_page(request, form, patient)


def assessment_edit(request, pk):
    assessment = get_assessment_for_user(user=request.user, pk=pk)
    if assessment.is_signed:
        messages.info(request, "This assessment is signed. Amend it to record changes.")
        return redirect(assessment)
    form = AssessmentForm(request.POST or None, instance=assessment)
    if request.method == "POST" and form.is_valid():
        try:
            assessment_update(
                assessment=assessment,
                assessed_on=form.cleaned_data["assessed_on"],
                side=form.cleaned_data["side"],
                findings=form.findings(),
                version=form.cleaned_data["version"],
                note_subjective=form.cleaned_data["note_subjective"],
                note_plan=form.cleaned_data["note_plan"],
            )
        except StaleVersionError as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Draft saved.")
            return redirect(assessment)
    return _form_page(request, form, assessment.patient, assessment)


@require_POST
def assessment_preview(request, patient_pk):
    """The differential panel for the findings typed so far (htmx swaps it in; nothing saved)."""
    get_patient_for_user(user=request.user, pk=patient_pk)
    findings, field_errors = preview_findings(request.POST)
    ranking = findings_ranking(findings=findings)
    context = {
        "ranking": ranking,
        "panel": panel_view(findings, ranking),
        "field_errors": field_errors,
        "reasons_for": PREVIEW_REASONS_FOR,
    }
    return render(request, "assessments/includes/differential_preview.html", context)


def _sign_form(data=None, *, assessment, ranking) -> SignForm:
    return SignForm(
        data,
        ranking=ranking,
        unanswered_red_flags=assessment.unanswered_red_flag_questions(),
    )


def assessment_detail(request, pk, sign_form=None):
    assessment = get_assessment_for_user(user=request.user, pk=pk)
    ranking = assessment_ranking(assessment=assessment)
    context = {
        "assessment": assessment,
        "patient": assessment.patient,
        # Positives and negatives by section; the questions not asked fold away below them.
        "sections": answered_sections(assessment=assessment),
        "not_asked": questions_not_asked(assessment=assessment),
        "ranking": ranking,
        "panel": panel_view(assessment.to_findings(), ranking),
        "frozen": assessment.is_signed,
        "red_flag_statuses": red_flag_statuses(assessment=assessment),
        "sign_form": sign_form
        or (None if assessment.is_signed else _sign_form(assessment=assessment, ranking=ranking)),
    }
    return render(request, "assessments/assessment_detail.html", context)


@require_POST
def assessment_sign_view(request, pk):
    with transaction.atomic():
        assessment = get_assessment_for_user(user=request.user, pk=pk)
        if assessment.is_signed:
            messages.info(request, "This assessment was already signed.")
            return redirect(assessment)
        form = _sign_form(
            request.POST, assessment=assessment, ranking=assessment_ranking(assessment=assessment)
        )
        if form.is_valid():
            try:
                assessment_sign(assessment=assessment, clinician=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
        if form.errors:
            return assessment_detail(request, pk, sign_form=form)
    messages.success(request, "Assessment signed.")
    return redirect(assessment)


@require_POST
def assessment_discard_view(request, pk):
    assessment = get_assessment_for_user(user=request.user, pk=pk)
    try:
        assessment_discard(assessment=assessment)
    except SignedAssessmentError as error:
        messages.error(request, str(error))
        return redirect(assessment)
    messages.success(request, "Draft assessment discarded. Its history is kept.")
    return redirect(assessment.patient)


@require_POST
def assessment_amend_view(request, pk):
    assessment = get_assessment_for_user(user=request.user, pk=pk)
    if not assessment.is_signed:
        return redirect("assessment_edit", pk=assessment.pk)
    amendment = assessment_amend(assessment=assessment, clinician=request.user)
    messages.success(request, "Amendment started: edit it and sign it when done.")
    return redirect("assessment_edit", pk=amendment.pk)


@lru_cache(maxsize=8)
def _knowledge_report_html(knowledge: Knowledge, unit: str, language: str | None) -> SafeString:
    """The knowledge page's report (some four thousand table cells), rendered once per
    knowledge, distance unit and language in a process: rendering it was most of the page's
    time, and it holds nothing of the user or a patient (no form, no name).

    ``Knowledge`` hashes by identity: a knowledge file read again (a new process, or a test
    that loads another file) is a new key, so the page never shows a knowledge it is not using.
    The language is in the key only (a translated page must not be served in another one).
    """
    report = knowledge_report(knowledge)
    return render_to_string(
        "assessments/includes/knowledge_report.html", {"report": report, "unit": unit}
    )


def differential_knowledge(request):
    """Every prior, weight and rule with its source, so a PT can audit the reasoning; its
    distances in the unit of the PT's clinics."""
    unit = distance_unit_for_user(user=request.user)
    report_html = _knowledge_report_html(load_knowledge(), unit, translation.get_language())
    return render(request, "assessments/differential_knowledge.html", {"report_html": report_html})


def red_flag_clear_view(request, pk):
    """Clear a red flag of a signed assessment (GET ``?code=`` preselects it)."""
    assessment = get_assessment_for_user(user=request.user, pk=pk)
    if not assessment.is_signed:
        return redirect(assessment)
    statuses = red_flag_statuses(assessment=assessment)
    standing = [s for s in statuses if not s.is_cleared]
    if request.method == "POST":
        if request.POST.get("code") in {s.code for s in statuses if s.is_cleared}:
            # A double-click or a second tab: the first post cleared it; show the record.
            messages.info(request, "This red flag was already cleared.")
            return redirect(assessment)
        form = RedFlagClearanceForm(request.POST, standing=standing)
        if form.is_valid():
            try:
                clear_red_flag(
                    assessment=assessment,
                    cleared_by=request.user,
                    code=form.cleaned_data["code"],
                    evidence=form.cleaned_data["evidence"],
                    note=form.cleaned_data["note"],
                    confirmed_emergency=form.cleaned_data.get("confirmed_emergency", False),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Red flag cleared; the record keeps who, when and why.")
                return redirect(assessment)
    else:
        form = RedFlagClearanceForm(initial={"code": request.GET.get("code")}, standing=standing)
    context = {
        "assessment": assessment,
        "patient": assessment.patient,
        "form": form,
        "statuses": statuses,
    }
    status = 400 if form.errors else 200
    return render(request, "assessments/red_flag_clear.html", context, status=status)
