from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from assessments.forms import AssessmentForm
from assessments.models import Assessment
from assessments.selectors import get_assessment_for_user
from assessments.services import assessment_amend, assessment_sign
from assessments.vocabulary import load_vocabulary
from clinic.selectors import get_patient_for_user


def assessment_create(request, patient_pk):
    patient = get_patient_for_user(user=request.user, pk=patient_pk)
    instance = Assessment(patient=patient, clinician=request.user)
    form = AssessmentForm(
        request.POST or None,
        instance=instance,
        initial={"assessed_on": timezone.localdate(), "sex": patient.sex},
    )
    if request.method == "POST" and form.is_valid():
        assessment = form.save()
        messages.success(request, "Assessment saved as a draft.")
        return redirect(assessment)
    return render(request, "assessments/assessment_form.html", {"form": form, "patient": patient})


def assessment_edit(request, pk):
    assessment = get_assessment_for_user(user=request.user, pk=pk)
    if assessment.is_signed:
        messages.info(request, "This assessment is signed. Amend it to record changes.")
        return redirect(assessment)
    form = AssessmentForm(request.POST or None, instance=assessment)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Draft saved.")
        return redirect(assessment)
    return render(
        request,
        "assessments/assessment_form.html",
        {"form": form, "patient": assessment.patient, "assessment": assessment},
    )


def assessment_detail(request, pk):
    assessment = get_assessment_for_user(user=request.user, pk=pk)
    sections = [
        (
            section,
            [(finding, getattr(assessment, finding.name)) for finding in section.fields],
        )
        for section in load_vocabulary().sections
    ]
    return render(
        request,
        "assessments/assessment_detail.html",
        {"assessment": assessment, "patient": assessment.patient, "sections": sections},
    )


@require_POST
def assessment_sign_view(request, pk):
    with transaction.atomic():
        assessment = get_assessment_for_user(user=request.user, pk=pk)
        if assessment.is_signed:
            messages.info(request, "This assessment was already signed.")
        else:
            assessment_sign(assessment=assessment, clinician=request.user)
            messages.success(request, "Assessment signed.")
    return redirect(assessment)


@require_POST
def assessment_amend_view(request, pk):
    assessment = get_assessment_for_user(user=request.user, pk=pk)
    if not assessment.is_signed:
        return redirect("assessment_edit", pk=assessment.pk)
    amendment = assessment_amend(assessment=assessment, clinician=request.user)
    messages.success(request, "Amendment started: edit it and sign it when done.")
    return redirect("assessment_edit", pk=amendment.pk)
