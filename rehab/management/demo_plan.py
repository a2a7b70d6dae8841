"""A full demo plan for PDF previews and benchmarks, built through the real services.

A runner with proximal hamstring tendinopathy (sit bone pain, worse sitting, tender sit bone,
positive bent-knee stretch, gradual onset): a signed assessment, ``plan_create``, two
``plan_advance_phase`` steps to phase 3 (three exercises and running), and doses and notes edited
the way a physio would. Callers run it inside a transaction they roll back.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from assessments.models import Assessment
from assessments.services import assessment_sign
from clinic.models import Clinic, Membership, Patient
from rehab.models import Plan
from rehab.services import plan_advance_phase, plan_create

# Demo cases come from vignettes that do not record the whole red-flag screen; signing says so.
DEMO_SCREEN_REASON = "Demo record: the red-flag screen is not part of this example case."
PHT_FINDINGS = {
    "pain_locations": ["sit_bone"],
    "aggravated_by_sitting": True,
    "sit_bone_tenderness": True,
    "bent_knee_stretch": "positive",
    "onset": "gradual",
}

# What a physio typically changes after drafting: the dose and a note per ladder.
DEMO_EDITS = {
    "bridge": {
        "sets": 3,
        "reps": "8 each leg",
        "note": "Straighten the free leg out in front. Slow on the way down: 3 seconds.",
    },
    "hip_thrust": {
        "load": "20 kg barbell with a pad; add 2.5 kg when all sets feel easy.",
        "note": "Lower only as far as the sit bone stays comfortable.",
    },
    "rdl": {
        "sets": 3,
        "reps": "10",
        "note": "Use a broom handle along your back: head, upper back and tailbone touch it.",
    },
    "running": {
        "session": "25 minutes easy on flat ground, then add up to 10 percent a week",
        "sessions_per_week": 3,
        "note": "Keep to the park loop for now; no hills or speed sessions yet.",
    },
}


def build_demo_plan(
    *, page_size: str = Clinic.PageSize.A4, phase: int = 3, diagnosis: str | None = None
) -> Plan:
    """The demo runner's plan at ``phase``, with the physio's edits; ``diagnosis`` signs the
    same assessment with another working diagnosis and keeps the protocol's own doses (the page
    count of every protocol's plan, benchmarks/pdf_pages.py)."""
    clinic = Clinic.objects.create(
        name="Riverside Running Clinic",
        address="12 River Road\nSpringfield SP1 2AB",
        phone="+44 20 7946 0000",
        email="hello@riverside-running.example",
        pdf_page_size=page_size,
    )
    clinician, _ = get_user_model().objects.get_or_create(
        username="pdf.demo.physio", defaults={"first_name": "Maria", "last_name": "Lindqvist"}
    )
    Membership.objects.get_or_create(user=clinician, clinic=clinic)
    patient = Patient.objects.create(
        clinic=clinic,
        first_name="Jordan",
        last_name="Rivera",
        date_of_birth=dt.date(1987, 5, 14),
        sex=Patient.Sex.FEMALE,
        record_number="RR-DEMO-PDF",
    )
    assessment = Assessment.objects.create(
        patient=patient,
        clinician=clinician,
        assessed_on=timezone.localdate(),
        side=Assessment.Side.RIGHT,
        **PHT_FINDINGS,
    )
    assessment_sign(
        assessment=assessment,
        clinician=clinician,
        red_flag_screen_reason=DEMO_SCREEN_REASON,
        working_diagnosis=diagnosis,
        working_diagnosis_reason="Demo record: another cause's plan." if diagnosis else "",
    )
    plan = plan_create(assessment=assessment, clinician=clinician)
    while plan.current_phase < phase:
        plan_advance_phase(plan=plan, clinician=clinician)
    if diagnosis:
        return plan
    for prescription in plan.prescriptions.all():
        for name, value in DEMO_EDITS.get(prescription.ladder, {}).items():
            setattr(prescription, name, value)
        prescription.save()
    return plan
