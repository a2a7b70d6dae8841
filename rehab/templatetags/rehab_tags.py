"""Rehab panels shown on clinic and assessment pages, so those apps need not know about plans."""

from django import template

from rehab import engine
from rehab.services import plan_preview

register = template.Library()


@register.inclusion_tag("rehab/includes/assessment_plan_actions.html")
def assessment_plan_actions(assessment):
    preview = plan_preview(assessment=assessment) if assessment.working_diagnosis else None
    return {
        "assessment": assessment,
        "plans": assessment.plans.all(),
        "refer_first": preview if isinstance(preview, engine.ReferFirst) else None,
    }


@register.inclusion_tag("rehab/includes/patient_plans.html")
def patient_plans(patient):
    return {"patient": patient, "plans": patient.plans.select_related("assessment")}


@register.filter
def step_name(step_code: str) -> str:
    return engine.step(step_code).name
