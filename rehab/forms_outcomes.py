"""One form per outcome measure, built from ``rehab/outcomes/measures.toml`` (defined once).

Every item is a labelled field: a number input for 0-10 scales, radio buttons for categorical
items and branches. Validation is the scorer's: its field-named errors land on the fields.
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout, Row, Submit
from django import forms
from django.utils.html import format_html

from rehab import outcomes
from rehab.forms import date_within_plan


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
            f"{plan.get_diagnosis_display()} plan from {plan.starts_on:%d %b %Y}"
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
                *self.item_codes,
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
