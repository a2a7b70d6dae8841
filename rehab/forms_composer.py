"""Forms of the plan composer: add from the library, move, save as a template, start from one.

Plain forms, no script needed; the service refuses what the phase does not allow and its
``ValidationError`` lands on the field it names.
"""

from django import forms

from clinic.submissions import submission_key_field
from rehab.models import OUTSIDE_REASON_MAX_LENGTH, Plan
from rehab.selectors import LIBRARY_SHOWS, earlier_plans_of_patient, plan_templates_for_plan


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
        templates = [
            (
                f"template-{t.pk}",
                f"Template: {t.name} ({t.get_diagnosis_display()}, phase {t.phase})",
            )
            for t in plan_templates_for_plan(plan=plan)
        ]
        plans = [
            (
                f"plan-{p.pk}",
                f"Earlier plan: {p.get_diagnosis_display()} from {p.starts_on:%d %b %Y}, "
                f"phase {p.current_phase}",
            )
            for p in earlier_plans_of_patient(plan=plan)
        ]
        self.fields["source"].choices = [("", "Choose…"), *templates, *plans]

    def clean_source(self) -> tuple[str, int]:
        kind, _, pk = self.cleaned_data["source"].partition("-")
        return kind, int(pk)
