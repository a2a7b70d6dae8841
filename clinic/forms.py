from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout, Row, Submit
from django import forms
from django.core.validators import MaxValueValidator
from django.utils.formats import date_format

from clinic import units
from clinic.integrity import VersionFormMixin
from clinic.models import Membership, Patient
from clinic.selectors import clinics_for_user
from clinic.submissions import SUBMISSION_KEY, submission_key_field


class PatientForm(VersionFormMixin, forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "clinic",
            "first_name",
            "last_name",
            "date_of_birth",
            "sex",
            "email",
            "phone",
            "record_number",
            "notes",
        ]
        widgets = {
            "date_of_birth": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        clinics = clinics_for_user(user=user)
        self.fields["clinic"].queryset = clinics
        if self.instance.pk or clinics.count() == 1:
            # The clinic is fixed by the record or by the user's only membership.
            self.fields["clinic"].disabled = True
            self.fields["clinic"].widget = forms.HiddenInput()
            if not self.instance.pk:
                self.fields["clinic"].initial = clinics.first()
        once = ()
        if not self.instance.pk:
            self.fields["record_number"].required = False
            self.fields[
                "record_number"
            ].help_text = "Leave blank and the clinic numbers the patient itself."
            self.fields[SUBMISSION_KEY] = submission_key_field()
            self.fields["different_person"] = forms.BooleanField(
                required=False,
                label="This is a different person with the same name and date of birth",
            )
            once = (SUBMISSION_KEY,)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "version",
            *once,
            "clinic",
            Row(Div("first_name", css_class="col-md-6"), Div("last_name", css_class="col-md-6")),
            Row(
                Div("date_of_birth", css_class="col-md-4"),
                Div("sex", css_class="col-md-4"),
                Div("record_number", css_class="col-md-4"),
            ),
            Row(Div("email", css_class="col-md-6"), Div("phone", css_class="col-md-6")),
            "notes",
            Submit("save", "Save patient"),
        )

    def details(self) -> dict[str, object]:
        """The patient's fields as typed, for ``patient_update``."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}

    def clean(self):
        cleaned = super().clean()
        clinic = cleaned.get("clinic") or (self.instance.clinic_id and self.instance.clinic)
        number = cleaned.get("record_number")
        if clinic and number:
            taken = Patient.objects.filter(clinic=clinic, record_number=number)
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("record_number", "Another patient of this clinic has this number.")
        if not self.instance.pk and clinic and not cleaned.get("different_person"):
            self._ask_if_same_person(clinic, cleaned)
        return cleaned

    def _ask_if_same_person(self, clinic, cleaned) -> None:
        """A second record for one runner splits their history: ask before making one."""
        first, last, born = (cleaned.get(n) for n in ("first_name", "last_name", "date_of_birth"))
        if not (first and last and born):
            return
        namesake = Patient.objects.filter(
            clinic=clinic,
            first_name__iexact=first.strip(),
            last_name__iexact=last.strip(),
            date_of_birth=born,
        ).first()
        if namesake is None:
            return
        number = f" (record {namesake.record_number})" if namesake.record_number else ""
        self.helper.layout.insert(len(self.helper.layout) - 1, "different_person")
        self.add_error(
            "different_person",
            f"{namesake.full_name}, born {date_format(born)}, is already a patient of this "
            f"clinic{number}. Is this the same person? If so, open their record instead; "
            "if not, tick this box and save again.",
        )


class InviteForm(forms.Form):
    """A new team member: who, their email (their login name) and their role."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="The set-password link goes here; it is also the login.")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.CLINICIAN)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="invite", **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Row(
                Div("first_name", css_class="col-md-3"),
                Div("last_name", css_class="col-md-3"),
                Div("email", css_class="col-md-4"),
                Div("role", css_class="col-md-2"),
            ),
            Submit("invite", "Invite and email the link"),
        )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Membership.Role.choices)


class DistanceFieldsMixin:
    """Running distances stored in km, asked in the clinic's unit (``clinic.units``): the label
    names the unit, the value shown and typed is in it, and ``cleaned_data`` holds km.

    ``distance_fields`` maps each such field to its highest value in km.
    """

    distance_fields: dict[str, float] = {}
    distance_unit = units.KM

    def ask_distances_in(self, unit: str) -> None:
        self.distance_unit = unit
        for name, max_km in self.distance_fields.items():
            field = self.fields[name]
            question = str(field.label).removesuffix(" (km)")
            field.label = f"{question} ({units.unit_label(unit)})"
            if unit == units.KM:
                continue
            highest = float(units.number(units.from_km(max_km, unit)))
            field.validators = [
                v for v in field.validators if not isinstance(v, MaxValueValidator)
            ] + [MaxValueValidator(highest)]
            field.widget.attrs["max"] = highest
            stored = self.initial.get(name)
            if stored is not None and not self.is_bound:
                self.initial[name] = float(units.number(units.from_km(stored, unit)))

    def clean(self):
        cleaned = super().clean()
        if self.distance_unit != units.KM:
            for name in self.distance_fields:
                value = cleaned.get(name)
                if value is not None:
                    km = units.to_km(value, self.distance_unit)
                    cleaned[name] = float(km) if isinstance(value, float) else km
        return cleaned
