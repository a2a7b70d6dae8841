"""The structured assessment of a runner's posterior thigh pain.

Every field of the findings vocabulary (``assessments/findings.json``) is a column with the
same name, type and allowed values; NULL means "not asked / not tested", never "no".
A test holds these columns and the vocabulary equal.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.formats import date_format
from simple_history.models import HistoricalRecords

from assessments.vocabulary import load_vocabulary
from clinic.integrity import GuardedManager, VersionedModel
from clinic.models import Patient

# The vocabulary's section of red-flag questions: signing with any left unasked needs a reason.
RED_FLAG_SECTION = "red_flags"


def choices_for(field_name: str) -> list[tuple[str, str]]:
    return load_vocabulary().field(field_name).choices


def asked(field_name: str) -> str:
    """The column's verbose name: the question as the PT reads it (admin and history too)."""
    return load_vocabulary().field(field_name).question


@deconstructible
class SetOfValuesValidator:
    """A set field holds a list of distinct values from its vocabulary entry."""

    def __init__(self, field_name: str):
        self.field_name = field_name

    def __call__(self, value):
        allowed = load_vocabulary().field(self.field_name).values
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationError("Choose from the listed values.", code="invalid")
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ValidationError(
                "%(value)s is not one of the allowed values.",
                code="invalid_choice",
                params={"value": unknown[0]},
            )
        if len(set(value)) != len(value):
            raise ValidationError("A value is listed twice.", code="duplicate")

    def __eq__(self, other):
        return isinstance(other, SetOfValuesValidator) and other.field_name == self.field_name


class SignedAssessmentError(Exception):
    """A signed assessment is part of the record; changes go into an amendment."""


class Assessment(VersionedModel):
    class Side(models.TextChoices):
        LEFT = "left", "Left"
        RIGHT = "right", "Right"
        BOTH = "both", "Both"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    assessed_on = models.DateField("date of assessment")
    side = models.CharField("affected side", max_length=5, choices=Side.choices)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.DRAFT)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="signed_assessments",
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    amends = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments",
        help_text="The signed assessment this one corrects.",
    )
    vocabulary_version = models.PositiveSmallIntegerField(default=load_vocabulary().version)
    working_diagnosis = models.CharField(
        max_length=40,
        null=True,
        blank=True,
        choices=[(c.code, c.name) for c in load_vocabulary().causes],
        help_text="The PT's working diagnosis; defaults to the top-ranked cause.",
    )
    working_diagnosis_reason = models.TextField(
        blank=True, help_text="Why the PT chose a cause other than the top-ranked one."
    )
    red_flag_screen_reason = models.TextField(
        blank=True,
        help_text="Why red-flag questions were left unasked when the assessment was signed.",
    )
    # The PT's own words: what the runner reports and what was agreed (blank = none written).
    note_subjective = models.TextField(
        "subjective", blank=True, help_text="What the runner reports, in the PT's words."
    )
    note_plan = models.TextField("plan", blank=True, help_text="What was agreed for next steps.")
    ranking_at_signing = models.JSONField(
        null=True,
        blank=True,
        editable=False,
        help_text="The differential as the PT saw it when signing (contract output form).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # The runner
    age = models.SmallIntegerField(
        asked("age"),
        null=True,
        blank=True,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
    )
    sex = models.CharField(
        asked("sex"), max_length=6, null=True, blank=True, choices=choices_for("sex")
    )
    weekly_distance_km = models.FloatField(
        asked("weekly_distance_km"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(400)],
    )
    recent_load_changes = models.JSONField(
        asked("recent_load_changes"),
        null=True,
        blank=True,
        validators=[SetOfValuesValidator("recent_load_changes")],
    )
    does_speedwork = models.BooleanField(asked("does_speedwork"), null=True, blank=True)
    previous_hamstring_injury = models.BooleanField(
        asked("previous_hamstring_injury"), null=True, blank=True
    )
    previous_bone_stress_injury = models.BooleanField(
        asked("previous_bone_stress_injury"), null=True, blank=True
    )
    low_energy_availability_signs = models.BooleanField(
        asked("low_energy_availability_signs"), null=True, blank=True
    )
    # Onset and course
    onset = models.CharField(
        asked("onset"), max_length=14, null=True, blank=True, choices=choices_for("onset")
    )
    felt_pop = models.BooleanField(asked("felt_pop"), null=True, blank=True)
    duration_weeks = models.FloatField(
        asked("duration_weeks"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(520)],
    )
    trend = models.CharField(
        asked("trend"), max_length=9, null=True, blank=True, choices=choices_for("trend")
    )
    pain_locations = models.JSONField(
        asked("pain_locations"),
        null=True,
        blank=True,
        validators=[SetOfValuesValidator("pain_locations")],
    )
    pain_below_knee = models.BooleanField(asked("pain_below_knee"), null=True, blank=True)
    leg_pain_worse_than_back = models.BooleanField(
        asked("leg_pain_worse_than_back"), null=True, blank=True
    )
    pain_qualities = models.JSONField(
        asked("pain_qualities"),
        null=True,
        blank=True,
        validators=[SetOfValuesValidator("pain_qualities")],
    )
    pain_rest_nrs = models.SmallIntegerField(
        asked("pain_rest_nrs"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    pain_run_nrs = models.SmallIntegerField(
        asked("pain_run_nrs"),
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    night_pain = models.CharField(
        asked("night_pain"), max_length=10, null=True, blank=True, choices=choices_for("night_pain")
    )
    # How it behaves with running
    run_response = models.CharField(
        asked("run_response"),
        max_length=10,
        null=True,
        blank=True,
        choices=choices_for("run_response"),
    )
    pain_travels_during_run = models.BooleanField(
        asked("pain_travels_during_run"), null=True, blank=True
    )
    next_day_response = models.CharField(
        asked("next_day_response"),
        max_length=7,
        null=True,
        blank=True,
        choices=choices_for("next_day_response"),
    )
    # What makes it worse or better
    aggravated_by_sitting = models.BooleanField(
        asked("aggravated_by_sitting"), null=True, blank=True
    )
    aggravated_by_bending = models.BooleanField(
        asked("aggravated_by_bending"), null=True, blank=True
    )
    aggravated_by_hills_or_stairs = models.BooleanField(
        asked("aggravated_by_hills_or_stairs"), null=True, blank=True
    )
    aggravated_by_speed = models.BooleanField(asked("aggravated_by_speed"), null=True, blank=True)
    aggravated_by_cough_or_sneeze = models.BooleanField(
        asked("aggravated_by_cough_or_sneeze"), null=True, blank=True
    )
    stretch_response = models.CharField(
        asked("stretch_response"),
        max_length=10,
        null=True,
        blank=True,
        choices=choices_for("stretch_response"),
    )
    back_pain = models.BooleanField(asked("back_pain"), null=True, blank=True)
    spreading_to_new_areas = models.BooleanField(
        asked("spreading_to_new_areas"), null=True, blank=True
    )
    unchanged_by_anything = models.BooleanField(
        asked("unchanged_by_anything"), null=True, blank=True
    )
    severe_despite_reduced_activity = models.BooleanField(
        asked("severe_despite_reduced_activity"), null=True, blank=True
    )
    # Screening for serious pathology
    saddle_numbness = models.BooleanField(asked("saddle_numbness"), null=True, blank=True)
    bladder_or_bowel_change = models.BooleanField(
        asked("bladder_or_bowel_change"), null=True, blank=True
    )
    bilateral_leg_symptoms = models.BooleanField(
        asked("bilateral_leg_symptoms"), null=True, blank=True
    )
    progressive_weakness = models.BooleanField(asked("progressive_weakness"), null=True, blank=True)
    unexplained_weight_loss = models.BooleanField(
        asked("unexplained_weight_loss"), null=True, blank=True
    )
    fever_or_unwell = models.BooleanField(asked("fever_or_unwell"), null=True, blank=True)
    cancer_history = models.BooleanField(asked("cancer_history"), null=True, blank=True)
    palpable_mass = models.BooleanField(asked("palpable_mass"), null=True, blank=True)
    leg_swelling_warmth = models.BooleanField(asked("leg_swelling_warmth"), null=True, blank=True)
    recent_immobility_or_long_travel = models.BooleanField(
        asked("recent_immobility_or_long_travel"), null=True, blank=True
    )
    # Examination
    antalgic_gait = models.BooleanField(asked("antalgic_gait"), null=True, blank=True)
    single_leg_stand_pain = models.CharField(
        asked("single_leg_stand_pain"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("single_leg_stand_pain"),
    )
    hop_test = models.CharField(
        asked("hop_test"), max_length=15, null=True, blank=True, choices=choices_for("hop_test")
    )
    sit_bone_tenderness = models.BooleanField(asked("sit_bone_tenderness"), null=True, blank=True)
    knee_tendon_tenderness = models.CharField(
        asked("knee_tendon_tenderness"),
        max_length=7,
        null=True,
        blank=True,
        choices=choices_for("knee_tendon_tenderness"),
    )
    muscle_belly_tenderness = models.BooleanField(
        asked("muscle_belly_tenderness"), null=True, blank=True
    )
    palpable_defect = models.BooleanField(asked("palpable_defect"), null=True, blank=True)
    bruising = models.BooleanField(asked("bruising"), null=True, blank=True)
    bony_tenderness = models.BooleanField(asked("bony_tenderness"), null=True, blank=True)
    fulcrum_test = models.CharField(
        asked("fulcrum_test"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("fulcrum_test"),
    )
    resisted_knee_flexion = models.CharField(
        asked("resisted_knee_flexion"),
        max_length=16,
        null=True,
        blank=True,
        choices=choices_for("resisted_knee_flexion"),
    )
    single_leg_bridge_pain = models.CharField(
        asked("single_leg_bridge_pain"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("single_leg_bridge_pain"),
    )
    straight_leg_raise = models.CharField(
        asked("straight_leg_raise"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("straight_leg_raise"),
    )
    slump_test = models.CharField(
        asked("slump_test"), max_length=8, null=True, blank=True, choices=choices_for("slump_test")
    )
    crossed_straight_leg_raise = models.CharField(
        asked("crossed_straight_leg_raise"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("crossed_straight_leg_raise"),
    )
    bent_knee_stretch = models.CharField(
        asked("bent_knee_stretch"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("bent_knee_stretch"),
    )
    modified_bent_knee_stretch = models.CharField(
        asked("modified_bent_knee_stretch"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("modified_bent_knee_stretch"),
    )
    puranen_orava = models.CharField(
        asked("puranen_orava"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("puranen_orava"),
    )
    askling_h_test = models.CharField(
        asked("askling_h_test"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("askling_h_test"),
    )
    fadir = models.CharField(
        asked("fadir"), max_length=8, null=True, blank=True, choices=choices_for("fadir")
    )
    hip_internal_rotation_reduced = models.BooleanField(
        asked("hip_internal_rotation_reduced"), null=True, blank=True
    )
    lumbar_movement_reproduces_pain = models.CharField(
        asked("lumbar_movement_reproduces_pain"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("lumbar_movement_reproduces_pain"),
    )
    repeated_movements_centralise = models.CharField(
        asked("repeated_movements_centralise"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("repeated_movements_centralise"),
    )
    neuro_deficit = models.BooleanField(asked("neuro_deficit"), null=True, blank=True)
    deep_gluteal_tenderness = models.BooleanField(
        asked("deep_gluteal_tenderness"), null=True, blank=True
    )
    seated_piriformis_stretch = models.CharField(
        asked("seated_piriformis_stretch"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("seated_piriformis_stretch"),
    )
    active_piriformis_test = models.CharField(
        asked("active_piriformis_test"),
        max_length=8,
        null=True,
        blank=True,
        choices=choices_for("active_piriformis_test"),
    )
    unable_to_activate_hamstring = models.BooleanField(
        asked("unable_to_activate_hamstring"), null=True, blank=True
    )

    history = HistoricalRecords()

    objects = GuardedManager()

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        indexes = [
            models.Index(fields=["patient", "-assessed_on"]),
            # The dashboard's "seen recently": this clinician's assessments in the last month.
            models.Index(fields=["clinician", "assessed_on"], name="assessment_clinician_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {date_format(self.assessed_on)} ({self.get_status_display()})"

    def clean(self):
        """An amendment corrects an assessment of the same patient."""
        super().clean()
        if self.amends_id and self.patient_id and self.amends.patient_id != self.patient_id:
            raise ValidationError({"amends": "This assessment is of another patient."})

    def save(self, *args, **kwargs):
        if self.pk and type(self).objects.filter(pk=self.pk, status=self.Status.SIGNED).exists():
            raise SignedAssessmentError("A signed assessment cannot be changed; amend it instead.")
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("assessment_detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        if self.pk and type(self).objects.filter(pk=self.pk, status=self.Status.SIGNED).exists():
            raise SignedAssessmentError("A signed assessment cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED

    def unanswered_red_flag_questions(self) -> tuple[str, ...]:
        """The questions of the red-flag screen left "not asked", as the PT reads them."""
        return tuple(
            field.question
            for field in load_vocabulary().fields
            if field.section == RED_FLAG_SECTION and getattr(self, field.name) is None
        )

    def to_findings(self) -> dict:
        """The recorded findings in the differential's input form (not asked = absent)."""
        return {
            field.name: getattr(self, field.name)
            for field in load_vocabulary().fields
            if getattr(self, field.name) is not None
        }

    def raised_red_flags(self) -> list[dict]:
        """The red flags on the ranking the PT signed (what gates any plan), as stored."""
        return list((self.ranking_at_signing or {}).get("red_flags", []))


class RedFlagClearance(models.Model):
    """A clinician's ruling that a red flag raised on a signed assessment no longer applies.

    Its own record, so the signed assessment stays exactly as signed: a bone stress injury
    ruled out on MRI, or a cancer history twenty years ago, stops blocking the plan without
    rewriting what the PT saw. Who, when, on what evidence and why; every change kept.
    """

    class Evidence(models.TextChoices):
        IMAGING = "imaging_result", "Imaging result"
        MEDICAL_REVIEW = "medical_review", "Medical review"
        HISTORY = "history_clarified", "History clarified"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, related_name="red_flag_clearances"
    )
    code = models.CharField("red flag", max_length=60)
    evidence = models.CharField(max_length=20, choices=Evidence.choices)
    note = models.TextField(help_text="What the evidence showed, in a sentence or two.")
    confirmed_emergency = models.BooleanField(
        default=False,
        help_text="The second confirmation an emergency flag needs before it can be cleared.",
    )
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    cleared_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    objects = GuardedManager()

    class Meta:
        ordering = ["cleared_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "code"], name="one_clearance_per_flag_and_assessment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} cleared on assessment #{self.assessment_id}"
