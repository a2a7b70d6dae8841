"""Real plans for tests: a signed assessment, then the rehab services (never hand-made rows)."""

from assessments.services import assessment_sign
from rehab.models import Plan
from rehab.services import plan_advance_phase, plan_create
from tests.factories import NOT_SCREENED, AssessmentFactory

# Findings that rank proximal hamstring tendinopathy first (sit bone pain, worse sitting, tender
# sit bone, positive bent-knee stretch tests, gradual onset).
PHT_FINDINGS = {
    "pain_locations": ["sit_bone"],
    "aggravated_by_sitting": True,
    "sit_bone_tenderness": True,
    "bent_knee_stretch": "positive",
    "modified_bent_knee_stretch": "positive",
    "onset": "gradual",
}


def as_posted(findings: dict) -> dict:
    """Findings as the assessment form posts them: booleans as "True" / "False"."""
    return {
        name: str(value) if isinstance(value, bool) else value for name, value in findings.items()
    }


def signed_assessment(
    *, patient, clinician, findings=None, working_diagnosis=None, reason="", **fields
):
    """An assessment with ``findings`` (default: PHT), signed with the top-ranked cause or
    ``working_diagnosis`` (which then needs ``reason``)."""
    assessment = AssessmentFactory(
        patient=patient,
        clinician=clinician,
        **(PHT_FINDINGS if findings is None else findings),
        **fields,
    )
    return assessment_sign(
        red_flag_screen_reason=NOT_SCREENED,
        assessment=assessment,
        clinician=clinician,
        working_diagnosis=working_diagnosis,
        working_diagnosis_reason=reason,
    )


def plan_for(*, patient, clinician, phase=1, starts_on=None, **assessment_kwargs) -> Plan:
    """A plan drafted by ``plan_create`` and moved on to ``phase`` by ``plan_advance_phase``;
    ``starts_on`` backdates it, so sessions of the past days lie within the plan."""
    assessment = signed_assessment(patient=patient, clinician=clinician, **assessment_kwargs)
    plan = plan_create(assessment=assessment, clinician=clinician)
    while plan.current_phase < phase:
        plan_advance_phase(plan=plan, clinician=clinician)
    if starts_on is not None:
        plan.starts_on = starts_on
        plan.save(update_fields=["starts_on"])
    return plan
