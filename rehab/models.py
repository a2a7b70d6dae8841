"""Rehab plans: what was prescribed, how the runner responded, what was decided and issued.

The clinical content (ladders, protocols, progression rules) is data in ``rehab/knowledge/`` read
by the plain-Python engine in ``rehab/engine/``; these models store the PT's choices and the
patient's responses, with the engine's knowledge version stamped on what is saved.
"""

import datetime as dt
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from assessments.models import Assessment
from assessments.vocabulary import load_vocabulary
from clinic.integrity import GuardedManager, VersionedModel
from clinic.links import url_for_id
from clinic.models import Patient, not_a_member_error
from rehab import engine

CAUSE_CHOICES = [(c.code, c.name) for c in load_vocabulary().causes]
PAIN_VALIDATORS = [MinValueValidator(0), MaxValueValidator(10)]
# Free text a runner or a PT types about one session: a few paragraphs at most (issue 12).
NOTES_MAX_LENGTH = 2000
# How long after logging a session the runner may correct it or add the next morning through
# the link; after that only the PT can, their change attributed to them (issue 13).
RUNNER_CORRECTION_WINDOW = dt.timedelta(hours=48)
# Why a PT chose an item outside the protocol: a sentence or two (issue 14).
OUTSIDE_REASON_MAX_LENGTH = 500


class Ladder(models.TextChoices):
    BRIDGE = "bridge", "Bridge"
    HIP_THRUST = "hip_thrust", "Hip thrust"
    RDL = "rdl", "Romanian deadlift"
    RUNNING = "running", "Running"


def ladder_choices() -> list[tuple[str, str]]:
    """Every ladder the knowledge defines: the four core ladders and the activities (the
    Askling exercises, the morning check, advice ...), so a new activity needs no migration."""
    names = dict(Ladder.choices)
    return [(ladder.code, names.get(ladder.code, ladder.name)) for ladder in engine.ladders()]


class Plan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ISSUED = "issued", "Issued"
        ENDED = "ended", "Ended"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.PROTECT,
        related_name="plans",
        help_text="The signed assessment whose working diagnosis this plan treats.",
    )
    diagnosis = models.CharField(max_length=40, choices=CAUSE_CHOICES)
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.DRAFT)
    current_phase = models.PositiveSmallIntegerField(default=1)
    cleared_to_run = models.BooleanField(
        default=False,
        help_text="A doctor has cleared a bone stress injury to run; until then no running step.",
    )
    weekly_km = models.DecimalField(
        "current weekly running (km)",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(engine.MAX_WEEKLY_KM)],
        help_text="The runner's weekly running when the plan was built (0: not running; "
        "empty: not asked). It set where the running ladder started.",
    )
    knowledge_version = models.CharField(max_length=40)
    starts_on = models.DateField()
    ends_on = models.DateField(
        null=True, blank=True, help_text="Set when the plan ends; the patient link expires after."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="plans_created"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = GuardedManager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_diagnosis_display()} plan for {self.patient}"

    def get_absolute_url(self) -> str:
        return url_for_id("plan_detail", self.pk)

    def clean(self):
        """A plan treats a signed assessment of its own patient, in a phase of its protocol."""
        super().clean()
        errors = {}
        if self.assessment_id and self.patient_id:
            if self.assessment.patient_id != self.patient_id:
                errors["assessment"] = "This assessment is of another patient."
            elif not self.assessment.is_signed:
                errors["assessment"] = "A plan treats a signed assessment."
        if self.diagnosis:
            try:
                phases = len(engine.protocol(self.diagnosis).phases)
            except KeyError:
                errors["diagnosis"] = "This diagnosis has no exercise protocol: refer first."
            else:
                if not 1 <= self.current_phase <= phases:
                    errors["current_phase"] = f"The protocol has phases 1 to {phases}."
        clinic_id = self.patient.clinic_id if self.patient_id else None
        if problem := not_a_member_error(self.created_by_id, clinic_id):
            errors["created_by"] = problem
        if errors:
            raise ValidationError(errors)


class Prescription(VersionedModel):
    """One exercise ladder, running, or another prescribed activity (the Askling extender,
    the morning check, sitting advice ...) in a plan: the step the runner is on and its dose."""

    # What the PT may set for a step; the same names as the engine's Dose.
    DOSE_FIELDS = (
        "sets",
        "reps",
        "hold_seconds",
        "tempo",
        "rest_seconds",
        "load",
        "sessions_per_week",
        "session",
    )

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="prescriptions")
    ladder = models.CharField(max_length=40, choices=ladder_choices)
    step_code = models.CharField(max_length=60)
    sets = models.PositiveSmallIntegerField(null=True, blank=True)
    reps = models.CharField(max_length=40, blank=True)
    hold_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    tempo = models.CharField(max_length=60, blank=True)
    rest_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    load = models.CharField(max_length=200, blank=True)
    sessions_per_week = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(14)]
    )
    session = models.CharField(
        max_length=200,
        blank=True,
        help_text="Running: what one session is. Advice (sitting, crutches): when to follow it.",
    )
    note = models.TextField(blank=True, help_text="A note for the patient on this exercise.")
    outside_reason = models.TextField(
        "reason for an item outside the protocol",
        blank=True,
        max_length=OUTSIDE_REASON_MAX_LENGTH,
        validators=[MaxLengthValidator(OUTSIDE_REASON_MAX_LENGTH)],
        help_text="Why the PT added an item the protocol does not use in this phase "
        "(rehab/engine/compose.py); shown on the plan and the clinical note.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    step_since = models.DateField(help_text="When the runner started this step.")
    history = HistoricalRecords()

    objects = GuardedManager()

    class Meta:
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "ladder"], name="one_prescription_per_ladder")
        ]

    def __str__(self) -> str:
        return f"{self.get_ladder_display()}: {self.step_code}"

    def get_ladder_display(self) -> str:
        """Django's own, from the ladder's name: its lookup normalised the callable choices
        on every call (0.1 ms each, ten a plan page)."""
        return dict(ladder_choices()).get(self.ladder, self.ladder)

    def clean(self):
        """The step is one the knowledge defines, on this prescription's ladder."""
        super().clean()
        try:
            on_ladder = engine.step(self.step_code).ladder == self.ladder
        except KeyError:
            on_ladder = False
        if self.step_code and not on_ladder:
            raise ValidationError({"step_code": f"Choose a step on the {self.ladder} ladder."})

    @property
    def dose_fields(self) -> tuple[str, ...]:
        """The dose fields the PT sets on this ladder: running has sessions, not sets and reps."""
        if self.ladder == Ladder.RUNNING:
            return ("sessions_per_week", "session")
        if self.is_activity:  # sets and reps, or when to do it (advice)
            return self.DOSE_FIELDS
        return tuple(name for name in self.DOSE_FIELDS if name != "session")

    @property
    def is_activity(self) -> bool:
        """One of a phase's other prescribed items rather than a core ladder."""
        return self.ladder in engine.knowledge().ladders and engine.ladder(self.ladder).is_activity

    @property
    def is_progressed(self) -> bool:
        """False for advice and checks (sitting, crutches, the morning check): never proposed
        up or down, so no progression proposal is made for them."""
        return engine.ladder(self.ladder).progressed

    @property
    def dose(self) -> engine.Dose:
        """The PT's dose in the engine's form, so the page and the PDF word it the same way."""
        return engine.Dose(
            sets=self.sets,
            reps=self.reps or None,
            hold_seconds=self.hold_seconds,
            tempo=self.tempo or None,
            rest_seconds=self.rest_seconds,
            load=self.load or None,
            sessions_per_week=self.sessions_per_week,
            session=self.session or None,
        )


class PlanTemplate(models.Model):
    """A clinic's saved phase: the items of one plan's phase (ladder, step, dose, order, and the
    reason for any item outside the protocol), to start other plans from.

    It holds no patient's words: the notes to the runner stay on the plan. Its items are checked
    against the tissue and phase rules each time it is used (``rehab.composer``), so a template
    saved before a protocol changed cannot bring in what the protocol no longer allows.
    """

    clinic = models.ForeignKey(
        "clinic.Clinic", on_delete=models.CASCADE, related_name="plan_templates"
    )
    name = models.CharField(max_length=120)
    diagnosis = models.CharField(
        max_length=40, choices=CAUSE_CHOICES, help_text="The working diagnosis it was made for."
    )
    phase = models.PositiveSmallIntegerField(help_text="The protocol phase it was made for.")
    items = models.JSONField(
        default=list,
        help_text="In order: ladder, step_code, the dose fields and outside_reason of each item.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="one_plan_template_name")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_diagnosis_display()}, phase {self.phase})"

    def clean(self):
        """Whoever saved it works in the clinic; the items name steps the knowledge defines."""
        super().clean()
        errors = {}
        if self.clinic_id and (problem := not_a_member_error(self.created_by_id, self.clinic_id)):
            errors["created_by"] = problem
        if not isinstance(self.items, list) or not all(
            isinstance(item, dict) and item.get("step_code") in engine.knowledge().steps
            for item in self.items
        ):
            errors["items"] = "Each item names a ladder step the knowledge defines."
        if errors:
            raise ValidationError(errors)


class SessionLog(models.Model):
    """How one session went, logged by the clinician at follow-up or by the patient at home."""

    class NextMorning(models.TextChoices):
        BETTER = "better", "Better than usual"
        SAME = "same", "Same as usual"
        WORSE = "worse", "Worse than usual"

    class RunPattern(models.TextChoices):
        WARMS_UP = "warms_up", "Eased once warmed up"
        STEADY = "steady", "Stayed the same"
        BUILDS = "builds", "Got worse the longer I ran"

    class ReportedBy(models.TextChoices):
        CLINICIAN = "clinician", "Clinician"
        PATIENT = "patient", "Patient"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="session_logs")
    session_date = models.DateField()
    exercise_pain = models.PositiveSmallIntegerField(
        "worst pain during the exercises (0-10)", validators=PAIN_VALIDATORS
    )
    running_pain = models.PositiveSmallIntegerField(
        "worst pain while running (0-10)", null=True, blank=True, validators=PAIN_VALIDATORS
    )
    running_pain_pattern = models.CharField(
        "during the run the pain", max_length=8, blank=True, choices=RunPattern.choices
    )
    next_morning = models.CharField(
        "the next morning, compared with usual",
        max_length=6,
        blank=True,
        choices=NextMorning.choices,
    )
    pain_travelled_down_leg = models.BooleanField("pain travelled down the leg", default=False)
    completed = models.BooleanField("completed the exercises as prescribed", default=True)
    load_used = models.CharField("load used", max_length=200, blank=True)
    weekly_distance_km = models.DecimalField(
        "running this week (km)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(400)],
    )
    notes = models.TextField(
        blank=True,
        max_length=NOTES_MAX_LENGTH,
        validators=[MaxLengthValidator(NOTES_MAX_LENGTH)],
    )
    reported_by = models.CharField(max_length=9, choices=ReportedBy.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The clinician who entered it; empty when the patient logged it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = GuardedManager()

    class Meta:
        ordering = ["-session_date", "-created_at"]
        indexes = [
            # The dashboard's "seen recently": sessions this clinician logged in the last month.
            models.Index(
                fields=["recorded_by", "session_date"], name="sessionlog_recorder_day_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.session_date} ({self.get_reported_by_display()})"

    def clean(self):
        """The patient's own logs name no clinician; a clinician's log names one of the clinic."""
        super().clean()
        if self.reported_by == self.ReportedBy.PATIENT and self.recorded_by_id:
            raise ValidationError({"recorded_by": "A log the patient sent names no clinician."})
        if self.reported_by == self.ReportedBy.CLINICIAN and not self.recorded_by_id:
            raise ValidationError({"recorded_by": "Name the clinician who entered this log."})
        if self.plan_id and (
            problem := not_a_member_error(self.recorded_by_id, self.plan.patient.clinic_id)
        ):
            raise ValidationError({"recorded_by": problem})

    def runner_may_change(self, now: dt.datetime | None = None) -> bool:
        """Whether the runner may still change this log through the link."""
        return (now or timezone.now()) - self.created_at < RUNNER_CORRECTION_WINDOW

    def to_engine_log(self) -> engine.SessionLog:
        return engine.SessionLog(
            date=self.session_date,
            exercise_pain=self.exercise_pain,
            running_pain=self.running_pain,
            next_morning=self.next_morning or None,
            pain_travelled_down_leg=self.pain_travelled_down_leg,
            completed=self.completed,
            load=self.load_used or None,
            running_pain_pattern=self.running_pain_pattern or None,
            logged_at=self.created_at,
        )


class ProgressionDecision(models.Model):
    """What the engine proposed for one ladder, and what the PT decided."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        OVERRIDDEN = "overridden", "Overridden"

    prescription = models.ForeignKey(
        Prescription, on_delete=models.CASCADE, related_name="decisions"
    )
    proposed_action = models.CharField(max_length=8)
    proposed_step = models.CharField(max_length=60)
    reason = models.TextField()
    rule = models.CharField(max_length=60)
    from_step = models.CharField(max_length=60)
    to_step = models.CharField(max_length=60)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    override_reason = models.TextField(blank=True)
    knowledge_version = models.CharField(max_length=40)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    decided_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = GuardedManager()

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.prescription}: {self.from_step} → {self.to_step} ({self.outcome})"

    def clean(self):
        super().clean()
        clinic_id = self.prescription.plan.patient.clinic_id if self.prescription_id else None
        if problem := not_a_member_error(self.decided_by_id, clinic_id):
            raise ValidationError({"decided_by": problem})


class IssuedDocumentError(Exception):
    """An issued PDF is exactly what the patient received: no change, no deletion."""


class IssuedDocument(models.Model):
    """A PDF exactly as handed to the patient; never changed after it is issued.

    The bytes are objects in the ``issued_documents`` storage (``rehab.documents``); the row
    holds their keys and hashes and exists only once the objects are stored.
    """

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="documents")
    version = models.PositiveSmallIntegerField()
    pdf_key = models.CharField(
        max_length=255,
        blank=True,
        editable=False,
        help_text="The PDF's object in the issued-documents storage (empty once erased).",
    )
    sha256 = models.CharField(max_length=64)
    page_size = models.CharField(max_length=6)
    large_print = models.BooleanField(default=False)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    issued_at = models.DateTimeField(auto_now_add=True)
    link_pdf_key = models.CharField(
        max_length=255,
        blank=True,
        editable=False,
        help_text="The same document naming the patient by first name only, for the link "
        "(its object's key; empty: no link copy, or erased).",
    )
    link_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the patient's data was erased: the bytes are gone, the SHA-256 stays.",
    )
    # The keys are not copied into the history: the objects never change, the SHA-256 is kept.
    history = HistoricalRecords(excluded_fields=["pdf_key", "link_pdf_key"])

    objects = GuardedManager()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "version"], name="one_document_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.plan} — version {self.version}"

    def save(self, *args, **kwargs):
        if not self._state.adding and type(self)._base_manager.filter(pk=self.pk).exists():
            raise IssuedDocumentError("An issued PDF is never changed; issue a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise IssuedDocumentError("An issued PDF is part of the record and is never deleted.")


class IssueRequest(models.Model):
    """A PT asked for the plan's PDF; a task worker renders and issues it (``rehab.tasks``).

    The ``IssuedDocument`` appears only once its bytes and hash are saved, in the same
    transaction that marks this request done; until then this row is what the plan page shows
    ("preparing the PDF…"), and after the last failed try, the plain reason.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for the task worker"
        RUNNING = "running", "Being prepared"
        DONE = "done", "Issued"
        FAILED = "failed", "Not issued"

    OPEN = (Status.WAITING, Status.RUNNING)

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="issue_requests")
    large_print = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.WAITING)
    attempts = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why nothing was issued, in plain words."
    )
    document = models.OneToOneField(
        IssuedDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="issue_request",
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # One request in the works per plan: a double click is sent to the first one.
            models.UniqueConstraint(
                fields=["plan"],
                condition=models.Q(status__in=["waiting", "running"]),
                name="one_open_issue_request_per_plan",
            )
        ]

    def __str__(self) -> str:
        return f"{self.plan} — PDF requested {self.requested_at:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN


def new_patient_token() -> str:
    return secrets.token_urlsafe(32)


class PatientLink(models.Model):
    """The plan's one stable, revocable link for the patient (no login)."""

    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="patient_link")
    token = models.CharField(max_length=64, unique=True, default=new_patient_token)
    base_url = models.CharField(
        max_length=200,
        blank=True,
        help_text="Scheme and host the link was issued with, so the PDF, QR code, email and "
        "plan page print the same address.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    history = HistoricalRecords()

    objects = GuardedManager()

    def __str__(self) -> str:
        return f"Patient link for {self.plan}"


class PatientLinkAccess(models.Model):
    """Every use of a patient link, so the clinic can see who opened what and when."""

    class What(models.TextChoices):
        PAGE = "page", "Opened the plan page"
        PDF = "pdf", "Downloaded the PDF"
        LOG = "log", "Logged a session"
        EDIT = "edit", "Corrected a session or added the next morning"
        FORM = "form", "Answered a questionnaire"

    link = models.ForeignKey(PatientLink, on_delete=models.CASCADE, related_name="accesses")
    what = models.CharField(max_length=4, choices=What.choices)
    accessed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-accessed_at"]
        verbose_name_plural = "patient link accesses"

    def __str__(self) -> str:
        return f"{self.get_what_display()} at {self.accessed_at:%Y-%m-%d %H:%M}"


def outcome_measure_choices() -> list[tuple[str, str]]:
    from rehab import outcomes  # imported here so this model is only appended to the module

    return [(m.code, m.name) for m in outcomes.measures()]


class OutcomeMeasurement(models.Model):
    """One outcome measure (LEFS, VISA-H, pain) answered on one date, scored by rehab.outcomes."""

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="outcome_measurements"
    )
    plan = models.ForeignKey(
        Plan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outcome_measurements",
        help_text="The plan the patient was on, if any.",
    )
    measure = models.CharField(max_length=20, choices=outcome_measure_choices)
    measured_on = models.DateField()
    responses = models.JSONField(help_text="Item code -> answer, as scored.")
    total = models.PositiveSmallIntegerField()
    measures_version = models.CharField(
        max_length=40, help_text="Version of rehab/outcomes/measures.toml that scored it."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    patient_reported = models.BooleanField(
        default=False,
        help_text="Answered by the patient on their link, not entered by a clinician.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = GuardedManager()

    class Meta:
        ordering = ["-measured_on", "-created_at"]
        indexes = [models.Index(fields=["patient", "measure", "measured_on"])]

    def __str__(self) -> str:
        return f"{self.get_measure_display()} {self.measured_on}: {self.total}"

    def clean(self):
        """The plan, if named, is the patient's own; whoever recorded it works in the clinic."""
        super().clean()
        errors = {}
        if self.plan_id and self.patient_id and self.plan.patient_id != self.patient_id:
            errors["plan"] = "This plan is another patient's."
        if self.patient_id and (
            problem := not_a_member_error(self.recorded_by_id, self.patient.clinic_id)
        ):
            errors["recorded_by"] = problem
        if errors:
            raise ValidationError(errors)

    @property
    def definition(self):
        """The measure's definition (``rehab.outcomes.Measure``)."""
        from rehab import outcomes

        return outcomes.measure(self.measure)

    def to_score(self):
        """The stored total as a ``rehab.outcomes.Score``, to compare visits with ``change``."""
        from rehab import outcomes

        return outcomes.score_total(self.measure, self.total)


class QuestionnaireRequest(models.Model):
    """The PT asks the runner to answer one outcome measure on their link (issue 13).

    Open until the runner answers it; then ``measurement`` is the scored, patient-reported
    ``OutcomeMeasurement`` and the request leaves the runner's page.
    """

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="questionnaire_requests")
    measure = models.CharField(max_length=20, choices=outcome_measure_choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    measurement = models.OneToOneField(
        OutcomeMeasurement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="request",
    )
    history = HistoricalRecords()

    objects = GuardedManager()

    class Meta:
        ordering = ["-requested_at", "-pk"]

    def __str__(self) -> str:
        state = "answered" if self.answered_at else "waiting"
        return f"{self.get_measure_display()} requested {self.requested_at:%Y-%m-%d} ({state})"

    def clean(self):
        """Whoever asked works in the plan's clinic; the answer is this plan's patient's."""
        super().clean()
        errors = {}
        if self.plan_id and (
            problem := not_a_member_error(self.requested_by_id, self.plan.patient.clinic_id)
        ):
            errors["requested_by"] = problem
        if (
            self.measurement_id
            and self.plan_id
            and (self.measurement.patient_id != self.plan.patient_id)
        ):
            errors["measurement"] = "This measurement is another patient's."
        if errors:
            raise ValidationError(errors)
