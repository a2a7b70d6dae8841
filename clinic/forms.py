from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout, Row, Submit
from django import forms

from clinic.integrity import VersionFormMixin
from clinic.models import Patient
from clinic.selectors import clinics_for_user


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
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "version",
            "clinic",
            Row(Div("first_name", css_class="col-md-6"), Div("last_name", css_class="col-md-6")),
            Row(
                Div("date_of_birth", css_class="col-md-4"),
                Div("sex", css_class="col-md-4"),
                Div("record_number", css_class="col-md-4"),
            ),
            "email",
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
        return cleaned
