"""Rehab panels shown on clinic and assessment pages, so those apps need not know about plans."""

from django import template

from rehab import engine
from rehab.forms import max_weekly_distance
from rehab.selectors import assessment_plan_panel

register = template.Library()


@register.inclusion_tag("rehab/includes/assessment_plan_actions.html")
def assessment_plan_actions(assessment):
    panel = assessment_plan_panel(assessment=assessment)
    unit = assessment.patient.clinic.distance_unit
    return {
        "assessment": assessment,
        "plans": panel.plans,
        "refer_first": panel.refer_first,
        "unit": unit,  # the build-plan form asks the weekly running in the clinic's unit
        "max_distance": max_weekly_distance(unit),
        "start_from": panel.start_from,
    }


@register.inclusion_tag("rehab/includes/patient_plans.html")
def patient_plans(patient):
    # Only the plans' own fields are shown: joining their assessments (some eighty columns and
    # the ranking's JSON each) was most of the patient page's time.
    return {"patient": patient, "plans": patient.plans.all()}


@register.filter
def step_name(step_code: str) -> str:
    return engine.step(step_code).name
