"""The refer-first hand-over (issue 11): what the PT prints when the plan is refused.

A signed assessment whose plan the engine refuses (an uncleared red flag, or a refer-first
working diagnosis such as a suspected avulsion) gets two documents: a one-page "until you are
seen" sheet for the runner and a referral letter for the doctor. Every word comes from the
red-flag registry (``clinic/knowledge/red_flags.toml``, each flag's ``referral``), the findings
vocabulary and the ranking the PT signed; nothing here decides anything clinical.

Rendered on demand and not stored (unlike the issued plan): both are read from the signed
assessment and its clearances, which history keeps, so the same record prints the same words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.http import Http404
from django.utils import timezone

from assessments.models import Assessment
from assessments.selectors import (
    get_assessment_for_user,
    leading_causes_at_signing,
    positive_findings,
    red_flag_statuses,
)
from assessments.vocabulary import load_vocabulary
from clinic import units
from clinic.knowledge import REFERRAL_URGENCIES, RedFlagInfo, RedFlagSign, red_flags
from rehab import engine
from rehab.selectors import plan_preview


@dataclass(frozen=True)
class ReferReason:
    """One reason to refer: a flag raised and not cleared, or the refer-first diagnosis."""

    info: RedFlagInfo
    because: tuple[str, ...]  # the triggers, in words ("Question: answer")
    raised: bool  # False: the registry entry speaks for the working diagnosis


@dataclass(frozen=True)
class Refusal:
    assessment: Assessment
    refer: engine.ReferFirst
    reasons: tuple[ReferReason, ...]

    @property
    def urgency(self) -> str:
        """The letter's urgency: the most urgent of the reasons'."""
        return min((r.info.referral.urgency for r in self.reasons), key=REFERRAL_URGENCIES.index)


def get_refusal_for_user(*, user, pk) -> Refusal:
    """The refused plan of the user's signed assessment ``pk``; 404 for another clinic's
    assessment and for one whose plan is not refused (a draft, cleared flags, no flag)."""
    assessment = get_assessment_for_user(user=user, pk=pk)
    if not (assessment.is_signed and assessment.working_diagnosis):
        raise Http404("No plan refusal for this assessment.")
    refer = plan_preview(assessment=assessment)
    if not isinstance(refer, engine.ReferFirst):
        raise Http404("This assessment's plan is not refused.")
    return Refusal(assessment=assessment, refer=refer, reasons=_reasons(assessment))


def _reasons(assessment: Assessment) -> tuple[ReferReason, ...]:
    vocabulary = load_vocabulary()
    unit = assessment.patient.clinic.distance_unit
    reasons = [
        ReferReason(
            info=status.info,
            because=tuple(
                units.in_unit(_in_words(assessment, name, vocabulary), unit)
                for name in status.because
            ),
            raised=True,
        )
        for status in red_flag_statuses(assessment=assessment)
        if not status.is_cleared
    ]
    protocol = engine.protocol(assessment.working_diagnosis)
    if protocol.refer_first and not any(
        protocol.diagnosis in r.info.referral.diagnoses for r in reasons
    ):
        registry = red_flags()
        info = registry.for_diagnosis(protocol.diagnosis) or replace(
            registry.unknown, code=protocol.diagnosis, name=protocol.name
        )
        reasons.append(ReferReason(info=info, because=(), raised=False))
    return tuple(reasons)


def _in_words(assessment: Assessment, name: str, vocabulary) -> str:
    field = vocabulary.fields_by_name.get(name)
    if field is None:  # a trigger from older knowledge: its name, never dropped
        return name.replace("_", " ")
    return f"{field.question}: {field.words(getattr(assessment, name, None))}"


def _unique(items):
    return list(dict.fromkeys(items))


def _signs(infos) -> list[str]:
    signs: list[RedFlagSign] = [sign for info in infos for sign in info.signs]
    return _unique(sign.text for sign in signs)


def runner_context(refusal: Refusal, *, today: dt.date | None = None) -> dict:
    """The runner's page: what to do, what to avoid, when it is an emergency, whom to call."""
    registry = red_flags()
    infos = [r.info for r in refusal.reasons]
    emergency = [i for i in infos if i.is_emergency] + [
        registry.get(code) for i in infos for code in i.referral.watch_for
    ]
    emergency_signs = _signs(emergency)
    same_day_signs = _signs(i for i in infos if not i.is_emergency)
    if engine.protocol(refusal.refer.diagnosis).refer_first:
        same_day_signs += refusal.refer.safety_net
    patient = refusal.assessment.patient
    return {
        "first_name": patient.first_name,
        "clinic": patient.clinic,
        "document_date": today or timezone.localdate(),
        "what_to_do": _unique(i.runner for i in infos),
        "stop": registry.referral.stop,
        "avoid": _unique(text for i in infos for text in i.referral.avoid),
        "emergency_heading": registry.referral.emergency,
        "emergency_signs": emergency_signs,
        "same_day_heading": registry.referral.same_day,
        "same_day_signs": [s for s in _unique(same_day_signs) if s not in emergency_signs],
        "page_size": patient.clinic.pdf_page_size,
    }


def letter_context(refusal: Refusal, *, today: dt.date | None = None) -> dict:
    """The doctor's letter: who, what was found, why we refer, what we ask, how soon."""
    assessment = refusal.assessment
    return {
        "patient": assessment.patient,
        "clinic": assessment.patient.clinic,
        "assessment": assessment,
        "clinician": assessment.signed_by or assessment.clinician,
        "document_date": today or timezone.localdate(),
        "findings": positive_findings(assessment=assessment),
        "causes": leading_causes_at_signing(assessment=assessment),
        "working_diagnosis": assessment.get_working_diagnosis_display(),
        "reasons": refusal.reasons,
        "urgency": refusal.urgency,
        "urgency_words": red_flags().referral.urgency[refusal.urgency],
        "page_size": assessment.patient.clinic.pdf_page_size,
    }
