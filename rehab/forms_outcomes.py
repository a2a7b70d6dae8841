"""One form per outcome measure, built from ``rehab/outcomes/measures.toml`` (defined once).

Every item is a labelled field: a number input for 0-10 scales, radio buttons for categorical
items and branches. Validation is the scorer's: its field-named errors land on the fields.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout, Row, Submit
from django import forms
from django.utils.formats import date_format
from django.utils.html import format_html

from clinic.form_rendering import FieldOnce
from rehab import outcomes
from rehab.forms import date_within_plan
from rehab.selectors import plan_questionnaire_requests
from rehab.services import phone_measures


class OutcomeMeasurementForm(forms.Form):
    measured_on = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    plan = forms.ModelChoiceField(
        label="During plan", queryset=None, required=False, empty_label="Not during a plan"
    )

    def __init__(self, *args, measure: outcomes.Measure, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.measure = measure
        self.score: outcomes.Score | None = None
        self.fields["plan"].queryset = patient.plans.all()
        self.fields["plan"].label_from_instance = lambda plan: (
            f"{plan.get_diagnosis_display()} plan from {date_format(plan.starts_on)}"
        )
        for item in measure.items:
            self.fields[item.code] = self._field(item)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.layout = Layout(
            Row(Div("measured_on", css_class="col-sm-4"), Div("plan", css_class="col-sm-8")),
            Fieldset(
                measure.short_name,
                HTML(format_html('<p class="small text-muted">{}</p>', measure.instructions)),
                *(FieldOnce(code) for code in self.item_codes),
            ),
            Submit("save", f"Save {measure.short_name}"),
        )

    @property
    def item_codes(self) -> list[str]:
        return [item.code for item in self.measure.items]

    def _field(self, item: outcomes.Item) -> forms.Field:
        conditional = item.when is not None
        if item.kind == "number":
            return forms.IntegerField(
                label=item.label,
                min_value=item.minimum,
                max_value=item.maximum,
                required=not conditional,
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
            )
        if item.kind == "branch":
            return forms.ChoiceField(
                label=item.label,
                choices=[(o.value, o.label) for o in item.options],
                widget=forms.RadioSelect,
                required=not conditional,
            )
        return forms.TypedChoiceField(
            label=item.label,
            choices=[(o.points, o.label) for o in item.options],
            coerce=int,
            widget=forms.RadioSelect,
            required=not conditional,
            help_text=self._condition_text(item),
        )

    def _condition_text(self, item: outcomes.Item) -> str:
        if item.when is None:
            return ""
        branch = self.measure.item(item.when.item)
        chosen = next(o.label for o in branch.options if o.value == item.when.equals)
        return f"Answer only if you chose “{chosen}” above."

    def clean(self):
        cleaned = super().clean()
        if "measured_on" in cleaned:
            try:
                date_within_plan(cleaned["measured_on"], plan=cleaned.get("plan"), what="date")
            except forms.ValidationError as error:
                self.add_error("measured_on", error)
        answered = {
            code: cleaned.get(code)
            for code in self.item_codes
            if code not in self.errors and cleaned.get(code) not in (None, "")
        }
        answered = outcomes.applicable_responses(self.measure.code, answered)
        try:
            self.score = outcomes.score(self.measure.code, answered)
        except outcomes.ScoringError as error:
            for code, message in error.errors.items():
                if code not in self.errors:
                    self.add_error(code if code in self.fields else None, message)
        return cleaned


class QuestionnaireRequestForm(forms.Form):
    """The PT picks which questionnaire the runner answers on their link."""

    measure = forms.ChoiceField(label="Questionnaire")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [(m.code, m.name) for m in phone_measures()]


def questionnaire_context(plan, *, form=None) -> dict:
    """The plan page's questionnaire card: the request form, the requests, what is not sent."""
    kept = [m.short_name for m in outcomes.measures() if m not in phone_measures()]
    return {
        "questionnaire_form": form or QuestionnaireRequestForm(),
        "questionnaire_requests": plan_questionnaire_requests(plan=plan),
        "questionnaire_not_on_phone": (
            f"{', '.join(kept)}: enter it from the paper form (its item wording is not "
            "verified, so it is not sent to the phone)."
            if kept
            else ""
        ),
    }


class RunnerQuestionnaireForm(forms.Form):
    """The runner answers one measure on the phone: every item a row of large radio buttons
    (0-10 scales too), checked by the scorer, whose errors land on the items they name."""

    def __init__(self, *args, measure: outcomes.Measure, **kwargs):
        super().__init__(*args, **kwargs)
        self.measure = measure
        self.score: outcomes.Score | None = None
        for item in measure.items:
            self.fields[item.code] = self._field(item)

    @staticmethod
    def _field(item: outcomes.Item) -> forms.Field:
        if item.kind == "number":
            low, high = item.minimum or 0, item.maximum or 0
            choices = [(n, str(n)) for n in range(low, high + 1)]
            return forms.TypedChoiceField(
                label=item.label,
                choices=choices,
                coerce=int,
                widget=forms.RadioSelect,
                required=False,
            )
        if item.kind == "branch":
            choices = [(o.value, o.label) for o in item.options]
            return forms.ChoiceField(
                label=item.label, choices=choices, widget=forms.RadioSelect, required=False
            )
        return forms.TypedChoiceField(
            label=item.label,
            choices=[(o.points, o.label) for o in item.options],
            coerce=int,
            widget=forms.RadioSelect,
            required=False,  # the scorer says which items must be answered
        )

    def items(self):
        """(item, bound field, button style) in the measure's order, for the template."""
        for item in self.measure.items:
            style = "pain-scale" if item.kind == "number" else "choice-buttons"
            yield item, self[item.code], style

    def clean(self):
        cleaned = super().clean()
        answered = {
            code: value
            for code, value in cleaned.items()
            if code not in self.errors and value not in (None, "")
        }
        answered = outcomes.applicable_responses(self.measure.code, answered)
        try:
            self.score = outcomes.score(self.measure.code, answered)
        except outcomes.ScoringError as error:
            for code, message in error.errors.items():
                if code not in self.errors:
                    field = code if code in self.fields else None
                    self.add_error(field, f"This question {message}.")
        return cleaned
