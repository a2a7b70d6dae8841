"""Reads of plans, scoped to the user's clinics (another clinic's plan is a 404)."""

import datetime as dt

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone

from rehab import engine
from rehab.models import PatientLink, Plan, Prescription, SessionLog


def plans_for_user(*, user) -> QuerySet[Plan]:
    return Plan.objects.filter(patient__clinic__memberships__user=user).select_related(
        "patient", "patient__clinic", "assessment", "created_by"
    )


def get_plan_for_user(*, user, pk) -> Plan:
    return get_object_or_404(plans_for_user(user=user), pk=pk)


def get_prescription_for_user(*, user, pk) -> Prescription:
    return get_object_or_404(
        Prescription.objects.filter(plan__patient__clinic__memberships__user=user).select_related(
            "plan", "plan__patient"
        ),
        pk=pk,
    )


def link_expires_on(link: PatientLink) -> dt.date | None:
    """The plan's end plus the clinic's grace days; None while the plan runs."""
    plan = link.plan
    if plan.ends_on is None:
        return None
    return plan.ends_on + dt.timedelta(days=plan.patient.clinic.patient_link_days)


def get_plan_for_patient_token(*, token: str) -> Plan:
    """The plan behind a patient's link; 404 alike for wrong, revoked and expired tokens."""
    link = (
        PatientLink.objects.select_related("plan", "plan__patient", "plan__patient__clinic")
        .filter(token=token, revoked_at__isnull=True)
        .first()
    )
    if link is None:
        raise Http404
    expires_on = link_expires_on(link)
    if expires_on is not None and timezone.localdate() > expires_on:
        raise Http404
    return link.plan


def progression_proposals(*, plan: Plan) -> list[tuple[Prescription, engine.Proposal]]:
    """For each prescription, what the pain-monitoring model proposes from the logs at its step."""
    logs = list(SessionLog.objects.filter(plan=plan))
    proposals = []
    for prescription in plan.prescriptions.all():
        at_step = [
            log.to_engine_log() for log in logs if log.session_date >= prescription.step_since
        ]
        proposal = engine.propose_progression(
            tissue_or_diagnosis=plan.diagnosis,
            ladder=prescription.ladder,
            current_step=prescription.step_code,
            logs=at_step,
            cleared_to_run=plan.cleared_to_run,
        )
        proposals.append((prescription, proposal))
    return proposals


def patient_link_url(link: PatientLink) -> str:
    """The absolute link printed on the PDF and sent by email."""
    path = reverse("patient_plan_page", args=[link.token])
    return f"{settings.PATIENT_LINK_BASE_URL.rstrip('/')}{path}"
