"""Questionnaires on the phone (issue 13): the PT asks from the plan page, the runner answers
on their link, item by item; the answers are scored by ``rehab.outcomes`` and stored as a
patient-reported outcome measurement of the plan.

The runner's view keeps every protection of the link: the dead-link page, the posts-per-hour
limit, dates within the plan, no CSRF token (see ``patient_plan_page``), the read audit.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinic.audit import read_as
from clinic.models import AccessEvent
from rehab import outcomes
from rehab.forms import date_within_plan
from rehab.forms_outcomes import QuestionnaireRequestForm, RunnerQuestionnaireForm
from rehab.models import PatientLinkAccess
from rehab.selectors import get_plan_for_user, get_runner_questionnaire
from rehab.services import (
    QuestionnaireAlreadyAnswered,
    patient_link_record_access,
    questionnaire_answer,
    questionnaire_request_create,
)
from rehab.views import _patient_headers, _plan_page, _runner_plan


@require_POST
def questionnaire_request_view(request, pk):
    """The PT asks the runner to answer one questionnaire on their link."""
    plan = get_plan_for_user(user=request.user, pk=pk)
    form = QuestionnaireRequestForm(request.POST)
    if form.is_valid():
        try:
            asked = questionnaire_request_create(
                plan=plan, measure=form.cleaned_data["measure"], requested_by=request.user
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(
                request, f"{asked.get_measure_display()} sent: it waits on the runner's link."
            )
            return redirect(reverse("plan_detail", args=[plan.pk]) + "#questionnaires")
    return _plan_page(request, plan, questionnaire_form=form, status=400)


@login_not_required
@csrf_exempt
@read_as(AccessEvent.What.LINK_PAGE, post=AccessEvent.What.LINK_POST)
def patient_questionnaire(request, token, pk):
    """The runner answers one requested questionnaire; a missing or wrong answer is named on
    its question with the other answers kept, and nothing is stored until all are right."""
    plan, refusal = _runner_plan(request, token)
    if plan is None:
        return refusal
    asked = get_runner_questionnaire(plan=plan, pk=pk)
    page = reverse("patient_plan_page", args=[token])
    if asked.answered_at is not None:
        messages.info(request, "You have already answered this questionnaire. Thank you.")
        return _patient_headers(redirect(page))
    measure = outcomes.measure(asked.measure)
    data = request.POST if request.method == "POST" else None  # an empty post names each item
    form = RunnerQuestionnaireForm(data, measure=measure)
    if request.method == "POST" and form.is_valid():
        today = timezone.localdate()
        try:
            date_within_plan(today, plan=plan, what="date")
            questionnaire_answer(request=asked, responses=form.score.responses, measured_on=today)
        except forms.ValidationError as error:
            form.add_error(None, error)
        except QuestionnaireAlreadyAnswered:
            messages.info(request, "You have already answered this questionnaire. Thank you.")
            return _patient_headers(redirect(page))
        else:
            patient_link_record_access(link=plan.patient_link, what=PatientLinkAccess.What.FORM)
            messages.success(request, "Thank you — your physio will see your answers.")
            return _patient_headers(redirect(page))
    context = {
        "plan": plan,
        "clinic": plan.patient.clinic,
        "token": token,
        "questionnaire": asked,
        "measure": measure,
        "form": form,
    }
    status = 400 if form.errors else 200
    return _patient_headers(
        render(request, "rehab/patient_questionnaire.html", context, status=status)
    )
