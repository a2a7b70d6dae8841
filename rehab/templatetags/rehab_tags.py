"""Rehab panels shown on clinic and assessment pages, so those apps need not know about plans."""

from functools import lru_cache

from django import template
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import SafeString

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
def patient_plans(plans):
    """The patient page's list of plans, read with its timeline (``records.timeline``)."""
    return {"plans": plans}


@register.filter
def step_name(step_code: str) -> str:
    return engine.step(step_code).name


@register.simple_tag
def protocol_cards(diagnosis: str, current_phase: int) -> SafeString:
    """The plan page's "Phases" and "Avoid, and why" cards: the protocol's knowledge only, with
    the current phase in bold, so rendered once per protocol, phase, language and knowledge
    version (a few dozen lookups per page before)."""
    return _protocol_cards(
        diagnosis, current_phase, translation.get_language(), engine.knowledge_version()
    )


@lru_cache(maxsize=256)
def _protocol_cards(diagnosis: str, current_phase: int, language: str | None, version: str):
    protocol = engine.protocol(diagnosis)
    return render_to_string(
        "rehab/includes/protocol_cards.html",
        {"protocol": protocol, "current_phase": current_phase},
    )
