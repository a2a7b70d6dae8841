"""Forms of the plan composer: add from the library, move, save as a template, start from one.

Plain forms, no script needed; the service refuses what the phase does not allow and its
``ValidationError`` lands on the field it names.
"""

from django import forms

from clinic.submissions import submission_key_field
from rehab.models import OUTSIDE_REASON_MAX_LENGTH, Plan
from rehab.selectors import LIBRARY_SHOWS, start_from_choices


class LibrarySearchForm(forms.Form):
    """The library's search box and filter (GET)."""

    q = forms.CharField(label="Search the library", required=False, max_length=100)
    show = forms.ChoiceField(
        label="Show", choices=list(LIBRARY_SHOWS.items()), required=False, initial="protocol"
    )

    def search(self) -> tuple[str, str]:
        """The words and filter to use: the defaults when the input is bad."""
        if not self.is_valid():
            return "", "protocol"
        return self.cleaned_data["q"].strip(), self.cleaned_data["show"] or "protocol"


class ItemAddForm(forms.Form):
    """Add one ladder step to the plan's phase; outside the protocol it needs a reason."""

    step_code = forms.CharField(widget=forms.HiddenInput, label="Step")
    outside_reason = forms.CharField(
        label="Why add it, outside the protocol?",
        required=False,
        max_length=OUTSIDE_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    submission_key = submission_key_field()


class ItemMoveForm(forms.Form):
    direction = forms.ChoiceField(label="Direction", choices=[("up", "Up"), ("down", "Down")])
    submission_key = submission_key_field()


class TemplateSaveForm(forms.Form):
    name = forms.CharField(label="Template name", max_length=120)
    submission_key = submission_key_field()


class StartFromForm(forms.Form):
    """A clinic template or one of the same patient's earlier plans."""

    source = forms.ChoiceField(label="Start this phase from")
    submission_key = submission_key_field()

    def __init__(self, *args, plan: Plan, **kwargs):
        super().__init__(*args, **kwargs)
        choices = start_from_choices(
            clinic_id=plan.patient.clinic_id,
            patient_id=plan.patient_id,
            diagnosis=plan.diagnosis,
            exclude_plan_pk=plan.pk,
        )
        self.fields["source"].choices = [("", "Choose…"), *choices]

    def clean_source(self) -> tuple[str, int]:
        kind, _, pk = self.cleaned_data["source"].partition("-")
        return kind, int(pk)
