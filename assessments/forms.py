"""The assessment form, built from the findings vocabulary so each question is defined once."""

import copy
import re

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Fieldset, Layout, Submit
from crispy_forms.utils import TEMPLATE_PACK
from django import forms
from django.template.loader import render_to_string

from assessments.models import Assessment, RedFlagClearance
from assessments.vocabulary import FindingsError, load_vocabulary, validate_findings
from clinic.form_rendering import ChoiceCheckboxes, ChoiceRadios, FieldOnce
from clinic.forms import DistanceFieldsMixin
from clinic.integrity import VersionFormMixin
from clinic.submissions import SUBMISSION_KEY, submission_key_field

NONE_OF_THESE = "none_of_these"

# The core screen a PT fills in for every runner; every other section opens on demand.
CORE_FINDINGS = ("onset", "pain_locations")
CORE_SECTIONS = ("running", "red_flags")
NOTE_MAX_LENGTH = 5000


_DECIMAL_ZEROS = re.compile(r"\.0*\s*$")  # Django's IntegerField accepts "7.0" as 7


def _typed(finding, raw: str):
    """A posted string as the vocabulary type, read exactly as the form's fields read it."""
    if finding.type == "boolean":
        return {"True": True, "False": False}.get(raw, raw)
    try:
        if finding.type == "integer":
            return int(_DECIMAL_ZEROS.sub("", raw))
        if finding.type == "number":
            return float(raw)
    except ValueError:
        return raw
    return raw


def preview_findings(data) -> tuple[dict, list[str]]:
    """The findings typed so far, read straight from a POST for the live differential panel.

    Same reading as AssessmentForm (a test holds the two equal) without building its ~60 fields
    on every change: the panel must answer about as fast as a trivial page. Returns the valid
    findings and the names of the fields left out because their value is not allowed.
    """
    findings: dict = {}
    errors: list[str] = []
    for finding in load_vocabulary().fields:
        if finding.type == "set":
            values = data.getlist(finding.name)
            if not values:
                continue
            if NONE_OF_THESE in values:
                if len(values) > 1:
                    errors.append(finding.name)
                    continue
                values = []
            value = values
        else:
            raw = data.get(finding.name, "")
            if raw == "":
                continue
            value = _typed(finding, raw)
        try:
            findings.update(validate_findings({finding.name: value}))
        except FindingsError:
            errors.append(finding.name)
    return findings, errors


class FindingSetField(forms.MultipleChoiceField):
    """A set finding: nothing ticked is 'not asked' (NULL); 'None of these' is asked, none ([])."""

    def __init__(self, *, finding, **kwargs):
        choices = [*finding.choices, (NONE_OF_THESE, "None of these")]
        super().__init__(
            choices=choices, required=False, widget=forms.CheckboxSelectMultiple, **kwargs
        )

    def prepare_value(self, value):
        if value == []:
            return [NONE_OF_THESE]
        return value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        if NONE_OF_THESE in value:
            if len(value) > 1:
                raise forms.ValidationError("Tick 'None of these' on its own, or untick it.")
            return []
        return list(value)


class SectionDetails(Fieldset):
    """A section that opens on demand: a ``<details>``, open when it holds an answer or an
    error so nothing typed is hidden. Its fields stay in the form while folded, so the POST
    and the live panel (htmx ``hx-include`` of the whole form) still read them; no script."""

    template = "assessments/layout/section_details.html"

    def __init__(self, legend, *fields, names: tuple[str, ...], **kwargs):
        super().__init__(legend, *fields, **kwargs)
        self.names = names

    def render(self, form, context, template_pack=TEMPLATE_PACK, **kwargs):
        fields = self.get_rendered_fields(form, context, template_pack, **kwargs)
        answered = sum(form.has_value(name) for name in self.names)
        errors = sum(name in form.errors for name in self.names)
        opened = errors or any(form.answered_by_pt(name) for name in self.names)
        return render_to_string(
            self.template,
            {
                "section": self,
                "fields": fields,
                "answered": answered,
                "errors": errors,
                "open": bool(opened),
            },
        )


class AssessmentForm(DistanceFieldsMixin, VersionFormMixin, forms.ModelForm):
    class Meta:
        model = Assessment
        fields = [
            "assessed_on",
            "side",
            *(f.name for f in load_vocabulary().fields),
            "note_subjective",
            "note_plan",
        ]
        widgets = {
            "assessed_on": forms.DateInput(attrs={"type": "date"}),
            "side": forms.RadioSelect,
        }

    note_subjective = forms.CharField(
        label="Subjective: what the runner reports",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    note_plan = forms.CharField(
        label="Plan: what was agreed",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    distance_fields = {"weekly_distance_km": 400}

    # The crispy layouts, for a new assessment (with its one-time key) and for a draft: made
    # once for the class from the vocabulary, as its fields are (``_finding_fields``). Building
    # its hundred layout objects took a tenth of the edit page's time; rendering only reads them.
    layouts: dict[bool, Layout] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.patient_id:
            self.ask_distances_in(self.instance.patient.clinic.distance_unit)
        new = not self.instance.pk
        if new:
            self.fields[SUBMISSION_KEY] = submission_key_field()
        self.helper = FormHelper()
        self.helper.form_id = "assessment-form"
        # No widget of the form has media; collecting it from seventy widgets took longer
        # than any section.
        self.helper.include_media = False
        self.helper.layout = self.layouts[new]

    @classmethod
    def layout(cls, vocabulary, *, new: bool) -> Layout:
        once = (SUBMISSION_KEY,) if new else ()
        return Layout(
            FieldOnce("version"),
            *once,
            Fieldset(
                "Visit",
                Div(FieldOnce("assessed_on"), css_class="col-md-4"),
                ChoiceRadios("side"),
                css_class="finding-section",
            ),
            *cls._sections(vocabulary),
            Fieldset(
                "Clinical note",
                FieldOnce("note_subjective"),
                FieldOnce("note_plan"),
                css_id="section-note",
                css_class="finding-section",
            ),
            Submit("save", "Save draft"),
        )

    @classmethod
    def _sections(cls, vocabulary):
        """The core screen (onset, pain location, running, red-flag screen) as open fieldsets,
        then every other question in its vocabulary section behind a ``<details>``."""
        by_code = {section.code: section for section in vocabulary.sections}
        core = [vocabulary.field(name) for name in CORE_FINDINGS]
        yield Fieldset(
            "Onset and pain location",
            *(cls._layout_item(f) for f in core),
            css_id="section-core",
            css_class="finding-section",
        )
        for code in CORE_SECTIONS:
            yield Fieldset(
                by_code[code].title,
                *(cls._layout_item(f) for f in by_code[code].fields),
                css_id=f"section-{code}",
                css_class="finding-section",
            )
        for section in vocabulary.sections:
            rest = [f for f in section.fields if f.name not in CORE_FINDINGS]
            if section.code in CORE_SECTIONS or not rest:
                continue
            yield SectionDetails(
                section.title,
                *(cls._layout_item(f) for f in rest),
                names=tuple(f.name for f in rest),
                css_id=f"section-{section.code}",
            )

    def has_value(self, name: str) -> bool:
        """Whether the question shows an answer (typed, saved, or prefilled)."""
        return self[name].value() not in (None, "", [])

    def answered_by_pt(self, name: str) -> bool:
        """Whether the PT gave this question an answer (typed now, or saved before).

        A new form's prefilled values (age and sex from the patient record) do not count, so
        their section stays folded until the PT opens it.
        """
        if not self.is_bound:
            return getattr(self.instance, name) is not None
        return self.has_value(name)

    def findings(self) -> dict:
        """Every finding as cleaned, None where not asked, for ``assessment_update``."""
        return {field.name: self.cleaned_data[field.name] for field in load_vocabulary().fields}

    def findings_so_far(self) -> tuple[dict, list[str]]:
        """The findings that validate, and the names of those that do not, for a live preview.

        A half-filled form still ranks: a field with an error is left out, not guessed.
        """
        if not self.is_bound:
            return self.instance.to_findings(), []
        self.is_valid()
        names = [f.name for f in load_vocabulary().fields]
        findings = {
            name: self.cleaned_data[name]
            for name in names
            if self.cleaned_data.get(name) is not None
        }
        return findings, [name for name in names if name in self.errors]

    @staticmethod
    def field_for(finding, model_field: forms.Field) -> forms.Field:
        """The form field for a finding, its choices in the clinic's words (admin too)."""
        label = finding.question
        if finding.type == "boolean":
            return forms.TypedChoiceField(
                label=label,
                choices=[("", "Not asked"), ("True", "Yes"), ("False", "No")],
                coerce=lambda v: v == "True",
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
        if finding.type in ("enum", "result"):
            blank = "Not tested" if finding.type == "result" else "Not asked"
            model_field.choices = [("", blank), *list(model_field.choices)[1:]]
            model_field.widget = forms.RadioSelect(choices=model_field.choices)
        if finding.type == "set":
            return FindingSetField(label=label, finding=finding)
        model_field.label = label
        return model_field

    @staticmethod
    def _layout_item(finding):
        if finding.type == "set":
            return ChoiceCheckboxes(finding.name)
        if finding.type in ("boolean", "enum", "result"):
            return ChoiceRadios(finding.name)
        return Div(FieldOnce(finding.name), css_class="col-md-4")


def _copy_sharing_choices(field: forms.ChoiceField, memo: dict) -> forms.ChoiceField:
    """Django's copy of a choice field (the widget, its attributes, the messages and
    validators copied), except that the copy shares the field's and the widget's choices."""
    copied = copy.copy(field)
    memo[id(field)] = copied
    copied.widget = copy.copy(field.widget)
    copied.widget.attrs = field.widget.attrs.copy()
    memo[id(field.widget)] = copied.widget
    copied.error_messages = field.error_messages.copy()
    copied.validators = field.validators[:]
    return copied


class FieldsSharingChoices(dict):
    """The form class's fields: each form's copy shares the lists of choices of ``shared``.

    A form deep-copies its class's fields so that it may change them. Nothing changes these
    choices (the vocabulary's, set once in ``_finding_fields``); copying and normalising
    seventy lists of them again for every form took half the time of making the form."""

    def __init__(self, fields: dict[str, forms.Field], *, shared: frozenset[str]):
        super().__init__(fields)
        self.shared = shared

    def __deepcopy__(self, memo: dict) -> dict[str, forms.Field]:
        return {
            name: _copy_sharing_choices(field, memo)
            if name in self.shared
            else copy.deepcopy(field, memo)
            for name, field in self.items()
        }


def _finding_fields() -> None:
    """Each finding's form field in the clinic's words, made once for the class (every form
    copies the class's fields; building seventy choice fields per request was a tenth of the
    assessment page's time), and the form's two layouts."""
    vocabulary = load_vocabulary()
    fields = AssessmentForm.base_fields
    fields["side"].choices = Assessment.Side.choices
    for finding in vocabulary.fields:
        fields[finding.name] = AssessmentForm.field_for(finding, fields[finding.name])
    shared = {"side", *(f.name for f in vocabulary.fields)}
    AssessmentForm.base_fields = FieldsSharingChoices(
        fields, shared=frozenset(n for n in shared if isinstance(fields[n], forms.ChoiceField))
    )
    for new in (True, False):
        AssessmentForm.layouts[new] = AssessmentForm.layout(vocabulary, new=new)


_finding_fields()


class SignForm(forms.Form):
    """Sign with a working diagnosis; the choices come ranked, the top one preselected."""

    working_diagnosis = forms.ChoiceField(label="Working diagnosis")
    working_diagnosis_reason = forms.CharField(
        label="Reason (needed when not the top-ranked cause)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, ranking: dict, unanswered_red_flags: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.unanswered_red_flags = unanswered_red_flags
        if unanswered_red_flags:
            self.fields["red_flag_screen_reason"] = forms.CharField(
                label="Red-flag questions not asked: not screened, because …",
                help_text="Not asked: " + "; ".join(unanswered_red_flags) + ".",
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=2000,
            )
        causes = ranking["causes"]
        self.top_ranked = causes[0]["code"]
        self.fields["working_diagnosis"].choices = [
            (c["code"], f"{c['name']} ({round(c['probability'] * 100)}%)") for c in causes
        ]
        self.fields["working_diagnosis"].initial = self.top_ranked
        self.helper = FormHelper()
        self.helper.form_tag = False
        # The reasons, empty until typed, are rendered once per state (clinic.form_rendering);
        # the diagnosis is not: its choices carry this ranking's percentages.
        self.helper.layout = Layout(
            "working_diagnosis",
            FieldOnce("working_diagnosis_reason"),
            *((FieldOnce("red_flag_screen_reason"),) if unanswered_red_flags else ()),
        )


class RedFlagClearanceForm(forms.Form):
    """Clear one red flag of a signed assessment: which, on what evidence, and why.

    The choices are the flags still standing. The second confirmation is a field only when the
    chosen flag is an emergency (so it is shown, and required by the service, only then).
    """

    code = forms.ChoiceField(label="Red flag")
    evidence = forms.ChoiceField(
        label="Cleared on the evidence of",
        choices=RedFlagClearance.Evidence.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="What the evidence showed",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )

    def __init__(self, *args, standing: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [
            (s.code, f"{s.info.name} ({s.info.urgency})") for s in standing
        ]
        chosen = self.data.get("code") if self.is_bound else self.initial.get("code")
        emergency = {s.code for s in standing if s.info.is_emergency}
        if chosen in emergency:
            self.fields["confirmed_emergency"] = forms.BooleanField(
                label="I confirm the emergency has been ruled out by the evidence above "
                "(not just that the symptoms have eased).",
                required=False,
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
