"""Reads of assessments, scoped to the user's clinics."""

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from assessments.models import Assessment, RedFlagClearance
from assessments.vocabulary import FindingField, Section, load_vocabulary
from clinic import units
from clinic.audit import note_read
from clinic.compiled import ANY_ID, ANY_USER, compiled
from clinic.knowledge import RedFlagInfo, red_flags


def assessments_for_user(*, user) -> QuerySet[Assessment]:
    return Assessment.objects.filter(patient__clinic__memberships__user=user).select_related(
        "patient", "patient__clinic", "clinician", "signed_by", "amends"
    )


def _assessment_for_user() -> QuerySet[Assessment]:
    """``assessments_for_user``'s one assessment, written with stand-in ids (``clinic.compiled``),
    unordered as ``get()`` leaves it."""
    return assessments_for_user(user=ANY_USER).filter(pk=ANY_ID).order_by()


def get_assessment_for_user(*, user, pk) -> Assessment:
    """The assessment, or 404 when its patient is not in one of the user's clinics.

    Its SQL (five joins, some two hundred columns) is compiled once per process: compiling it
    took longer than the database took to answer it."""
    found = compiled(_assessment_for_user, Assessment).instances({ANY_USER: user.pk, ANY_ID: pk})
    if not found:
        raise Http404
    assessment = found[0]
    note_read(assessment)  # the request's access record names it (clinic.audit)
    return assessment


@dataclass(frozen=True)
class RedFlagStatus:
    """A red flag raised on the signed ranking, the registry's words for it, and its
    clearance if a clinician recorded one."""

    code: str
    info: RedFlagInfo
    because: tuple[str, ...]
    clearance: RedFlagClearance | None

    @property
    def is_cleared(self) -> bool:
        return self.clearance is not None


def red_flag_statuses(*, assessment: Assessment) -> list[RedFlagStatus]:
    """Every flag on the ranking the PT signed, cleared or not, in the ranking's order (no
    query when none was raised: the printed plan's context stays at two)."""
    raised = assessment.raised_red_flags()
    if not raised:
        return []
    clearances = {c.code: c for c in assessment.red_flag_clearances.select_related("cleared_by")}
    registry = red_flags()
    return [
        RedFlagStatus(
            code=flag["code"],
            info=registry.get(flag["code"]),
            because=tuple(flag.get("because", ())),
            clearance=clearances.get(flag["code"]),
        )
        for flag in raised
    ]


def uncleared_red_flags(*, assessment: Assessment) -> list[str]:
    """The codes of the signed ranking's flags no clinician has cleared: they gate any plan."""
    return [
        status.code for status in red_flag_statuses(assessment=assessment) if not status.is_cleared
    ]


AnsweredSection = tuple[Section, list[tuple[FindingField, str]]]


def answered_sections(*, assessment: Assessment) -> list[AnsweredSection]:
    """Each section's answered findings (positives and negatives) in words; empty ones left out."""
    unit = assessment.patient.clinic.distance_unit
    return [
        (section, rows)
        for section in load_vocabulary().sections
        if (
            rows := [
                (finding, units.in_unit(finding.words(getattr(assessment, finding.name)), unit))
                for finding in section.fields
                if getattr(assessment, finding.name) is not None
            ]
        )
    ]


def positive_findings(*, assessment: Assessment) -> list[str]:
    """The findings that were present, in words: a "no", a negative test, "none of these" and
    anything not asked are left out."""
    found = []
    unit = assessment.patient.clinic.distance_unit
    for field in load_vocabulary().fields:
        value = getattr(assessment, field.name)
        if value is None or value is False or value == "negative" or value == []:
            continue
        found.append(f"{field.question}: {units.in_unit(field.words(value), unit)}")
    return found


def questions_not_asked(*, assessment: Assessment) -> list[FindingField]:
    return [f for f in load_vocabulary().fields if getattr(assessment, f.name) is None]


LEADING_CAUSES = 3  # printed documents name the ranking's leading causes, as the panel does


def leading_causes_at_signing(*, assessment: Assessment) -> list[dict]:
    """The causes the PT saw first when signing, with whole percentages, for printed documents."""
    causes = (assessment.ranking_at_signing or {}).get("causes", [])[:LEADING_CAUSES]
    return [{"name": c["name"], "percent": round(c["probability"] * 100)} for c in causes]


# How long a draft counts as "just saved" when the same answers arrive again in a new form.
RESENT_WITHIN = timedelta(minutes=30)


def resent_draft(
    *, patient, clinician, assessed_on, side: str, findings: dict, notes: tuple[str, str]
) -> Assessment | None:
    """The draft this clinician saved for this patient in the last half hour with exactly these
    answers, or None.

    Back after saving makes the browser fetch the form again (pages are never cached), with a
    new one-time key, so the key alone cannot tell a resend from a second assessment; the same
    answers from the same PT minutes later can (issue 14).
    """
    answered = {name: value for name, value in findings.items() if value is not None}
    recent = Assessment.objects.filter(
        patient=patient,
        clinician=clinician,
        status=Assessment.Status.DRAFT,
        created_at__gte=timezone.now() - RESENT_WITHIN,
    )
    for draft in recent:
        same_visit = (draft.assessed_on, draft.side) == (assessed_on, side)
        same_notes = (draft.note_subjective, draft.note_plan) == notes
        if same_visit and same_notes and draft.to_findings() == answered:
            return draft
    return None
