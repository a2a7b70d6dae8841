from decimal import ROUND_DOWN, Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout, Row, Submit
from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.formats import date_format

from clinic import units
from clinic.form_rendering import ChoiceRadios, FieldOnce
from clinic.forms import DistanceFieldsMixin
from clinic.integrity import VersionFormMixin
from rehab import engine
from rehab.models import Plan, Prescription, SessionLog


def date_within_plan(value, *, plan: Plan | None, what: str):
    """A date the runner or PT reports must lie between the plan's start and today: a date far
    ahead (9999-12-31) would hold the plan's follow-up and progression for good (issue 12)."""
    today = timezone.localdate()
    if value is None:
        return value
    if value > today:
        raise forms.ValidationError(f"The {what} cannot be after today ({date_format(today)}).")
    if plan is not None and value < plan.starts_on:
        raise forms.ValidationError(
            f"The {what} cannot be before the plan started ({date_format(plan.starts_on)})."
        )
    return value


class PlanCreateForm(forms.Form):
    """The runner's current weekly running, asked when the plan is built in the clinic's unit
    (km or miles): it sets where the running ladder starts. Left empty, running starts at the
    protocol's phase-1 step. ``cleaned_data["weekly_km"]`` is the distance in km."""

    weekly_distance = forms.DecimalField(required=False, min_value=0, decimal_places=1)
    not_running = forms.BooleanField(label="Not running now", required=False)
    start_from = forms.RegexField(
        label="Start from",
        regex=r"^(template|plan)-[0-9]{1,12}$",
        required=False,
        error_messages={"invalid": "Choose a clinic template or an earlier plan from the list."},
    )

    def clean_start_from(self) -> tuple[str, int] | None:
        """("template" or "plan", its id), or None for the protocol's phase 1 as it stands."""
        kind, _, pk = self.cleaned_data["start_from"].partition("-")
        return (kind, int(pk)) if kind else None

    def __init__(self, *args, unit: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.unit = unit
        field = self.fields["weekly_distance"]
        field.label = f"Current weekly running ({units.unit_label(unit)})"
        field.max_value = max_weekly_distance(unit)
        field.validators.append(MaxValueValidator(field.max_value))

    def clean(self):
        cleaned = super().clean()
        distance, not_running = cleaned.get("weekly_distance"), cleaned.get("not_running")
        if not_running and distance:
            self.add_error(
                "weekly_distance",
                f"Leave the {units.unit_label(self.unit)} empty (or 0) when not running now.",
            )
        elif not_running:
            distance = 0
        cleaned["weekly_km"] = None if distance is None else units.to_km(distance, self.unit)
        return cleaned


def max_weekly_distance(unit: str) -> Decimal:
    """The plan's highest weekly running (``engine.MAX_WEEKLY_KM``) in ``unit``, rounded down."""
    return Decimal(str(units.from_km(engine.MAX_WEEKLY_KM, unit))).quantize(
        Decimal("0.1"), rounding=ROUND_DOWN
    )


class PrescriptionForm(VersionFormMixin, forms.ModelForm):
    """The PT adjusts one prescription: swap the step on its ladder, change the dose, add a note."""

    step_code = forms.ChoiceField(label="Step")

    class Meta:
        model = Prescription
        fields = ["step_code", *Prescription.DOSE_FIELDS, "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        steps = engine.ladder_steps(self.instance.ladder)
        self.fields["step_code"].choices = [
            (s.code, f"{s.position}. {s.name} (hip flexion {s.hip_flexion.level})") for s in steps
        ]
        running = self.instance.ladder == "running"
        self.helper = FormHelper()
        dose = (
            [
                Row(
                    Div("session", css_class="col-md-8"),
                    Div("sessions_per_week", css_class="col-md-4"),
                )
            ]
            if running
            else [
                Row(
                    Div("sets", css_class="col-4 col-md-2"),
                    Div("reps", css_class="col-4 col-md-2"),
                    Div("hold_seconds", css_class="col-4 col-md-2"),
                    Div("rest_seconds", css_class="col-4 col-md-2"),
                    Div("sessions_per_week", css_class="col-8 col-md-4"),
                ),
                Row(Div("tempo", css_class="col-md-4"), Div("load", css_class="col-md-8")),
                *([Div("session")] if self.instance.is_activity else []),
            ]
        )
        self.helper.layout = Layout(
            "version", "step_code", *dose, "note", Submit("save", "Save exercise")
        )
        for name in set(Prescription.DOSE_FIELDS) - set(self.instance.dose_fields):
            del self.fields[name]
        # Texts stored as the knowledge states them (km) are shown in the clinic's unit.
        self.distance_unit = self.instance.plan.patient.clinic.distance_unit
        if not self.is_bound:
            for name in DISTANCE_TEXTS:
                if name in self.fields and self.initial.get(name):
                    self.initial[name] = units.in_unit(self.initial[name], self.distance_unit)

    def _as_stored_when_unchanged(self, name: str) -> str:
        """A text sent back as shown keeps its stored words (the dose stays the standard)."""
        typed, stored = self.cleaned_data.get(name), getattr(self.instance, name)
        return stored if typed == units.in_unit(stored, self.distance_unit) else typed

    def clean_session(self):
        return self._as_stored_when_unchanged("session")

    def clean_note(self):
        return self._as_stored_when_unchanged("note")


DISTANCE_TEXTS = ("session", "note")  # a prescription's texts that may state a distance


PAIN_CHOICES = [(value, str(value)) for value in range(11)]
YES_NO = [("True", "Yes"), ("False", "No")]


NO_RUN = "none"
NOT_YET = "not_yet"


def _pain(value: str) -> int | None:
    return None if value == NO_RUN else int(value)


def _pain_field(label: str, *, required: bool, help_text: str = "") -> forms.TypedChoiceField:
    """0-10 as eleven radio buttons (large tap targets on a phone, no typing). An optional one
    also offers "did not run" as a button of its own, since a ticked radio cannot be unticked;
    its value is not empty, so it is never chosen for the runner."""
    choices = PAIN_CHOICES if required else [*PAIN_CHOICES, (NO_RUN, "Did not run")]
    return forms.TypedChoiceField(
        label=label,
        choices=choices,
        coerce=_pain,
        empty_value=None,
        required=required,
        help_text=help_text,
        widget=forms.RadioSelect,
    )


class SessionLogForm(DistanceFieldsMixin, forms.ModelForm):
    """One session of ``plan`` as the clinician or the runner reports it.

    Nothing is pre-chosen: pain is picked on a 0-10 row of buttons, and whether the session was
    done as prescribed is an explicit, required yes or no (a default tick counted unfinished
    sessions as complete).
    """

    exercise_pain = _pain_field("Worst pain during the exercises (0-10)", required=True)
    running_pain = _pain_field(
        "Worst pain while running (0-10)",
        required=False,
        help_text="Choose “Did not run” if you did not run or walk-run.",
    )
    next_morning = forms.TypedChoiceField(
        label="The next morning, compared with usual",
        choices=[*SessionLog.NextMorning.choices, (NOT_YET, "Not yet: ask me tomorrow")],
        coerce=lambda value: "" if value == NOT_YET else value,
        empty_value="",
        required=False,
        help_text="Not the next morning yet? Choose “Not yet”: the page asks you tomorrow.",
        widget=forms.RadioSelect,
    )
    completed = forms.TypedChoiceField(
        label="Did you complete the exercises as prescribed?",
        choices=YES_NO,
        coerce=lambda value: value == "True",
        widget=forms.RadioSelect,
    )

    class Meta:
        model = SessionLog
        fields = [
            "session_date",
            "exercise_pain",
            "running_pain",
            "running_pain_pattern",
            "next_morning",
            "pain_travelled_down_leg",
            "completed",
            "load_used",
            "weekly_distance_km",
            "notes",
        ]
        widgets = {
            "session_date": forms.DateInput(attrs={"type": "date"}),
            "running_pain_pattern": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    distance_fields = {"weekly_distance_km": 400}

    def __init__(self, *args, plan: Plan | None, submit_label="Save session", **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.ask_distances_in(plan.patient.clinic.distance_unit if plan else units.KM)
        self.fields["running_pain_pattern"].choices = SessionLog.RunPattern.choices
        self.fields["running_pain_pattern"].required = False
        self.helper = FormHelper()
        self.helper.layout = Layout(
            FieldOnce("session_date"),
            Div(ChoiceRadios("exercise_pain"), css_class="pain-scale"),
            Div(ChoiceRadios("running_pain"), css_class="pain-scale"),
            Div(ChoiceRadios("running_pain_pattern"), css_class="choice-buttons"),
            Div(ChoiceRadios("next_morning"), css_class="choice-buttons"),
            Div(FieldOnce("pain_travelled_down_leg"), css_class="big-check"),
            Div(ChoiceRadios("completed"), css_class="choice-buttons"),
            Row(
                Div(FieldOnce("load_used"), css_class="col-sm-8"),
                Div(FieldOnce("weekly_distance_km"), css_class="col-sm-4"),
            ),
            FieldOnce("notes"),
            Submit("save", submit_label),
        )
        self.helper.form_tag = False
        self.helper.include_media = False  # no widget has media: nothing to collect

    def clean_session_date(self):
        return date_within_plan(
            self.cleaned_data.get("session_date"), plan=self.plan, what="session date"
        )


class NextMorningForm(forms.Form):
    """The runner's answer, the morning after, for the latest session (issue 13)."""

    next_morning = forms.ChoiceField(
        label="How does it feel this morning compared with before the session?",
        choices=[
            (SessionLog.NextMorning.BETTER, "Better"),
            (SessionLog.NextMorning.SAME, "About the same"),
            (SessionLog.NextMorning.WORSE, "Worse"),
        ],
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, question: str = "", **kwargs):
        super().__init__(*args, prefix="morning", **kwargs)
        if question:
            self.fields["next_morning"].label = question
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Div(ChoiceRadios("next_morning"), css_class="choice-buttons"),
            Submit("send_morning", "Send my answer"),
        )


class DecisionForm(forms.Form):
    """Accept the proposed step, or choose another with a reason."""

    to_step = forms.ChoiceField(label="Move to")
    override_reason = forms.CharField(
        label="Reason (needed when you do not follow the proposal)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, proposal: engine.Proposal, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_step"].choices = [
            (s.code, f"{s.position}. {s.name}") for s in engine.ladder_steps(proposal.ladder)
        ]
        self.fields["to_step"].initial = proposal.target_step
        self.helper = FormHelper()
        self.helper.form_tag = False
