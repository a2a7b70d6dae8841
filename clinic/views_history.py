"""A patient's record as a whole: its history, its export, and its erasure.

- ``patient_history``: every change (django-simple-history, with the changed fields) and every
  read (``AccessEvent``), newest first, paginated, for the clinicians of the patient's clinic.
- ``patient_export_json`` / ``patient_export_fhir``: the whole record for an access request or
  a transfer (``clinic/export.py``).
- ``patient_anonymise_view``: erasure, for a clinic admin of the patient's clinic, after a
  confirmation page (``clinic.services.patient_anonymise``).

Access goes through ``get_patient_for_user``: another clinic's patient is a 404.
"""

import json

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from clinic import export
from clinic.audit import access_record, patient_audit_entries, patient_audit_stream
from clinic.models import AccessEvent
from clinic.selectors import get_patient_for_user, is_clinic_admin
from clinic.services import is_anonymised, patient_anonymise

HISTORY_PER_PAGE = 50


def patient_history(request, pk):
    patient = get_patient_for_user(user=request.user, pk=pk)
    access_record(request=request, patient=patient, what=AccessEvent.What.HISTORY)
    page = Paginator(patient_audit_stream(patient=patient), HISTORY_PER_PAGE).get_page(
        request.GET.get("page")
    )
    entries = patient_audit_entries(patient=patient, rows=page.object_list)
    return render(
        request, "clinic/history.html", {"patient": patient, "page": page, "entries": entries}
    )


def _download(data: dict, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def patient_export_json(request, pk):
    patient = get_patient_for_user(user=request.user, pk=pk)
    event = access_record(
        request=request, patient=patient, what=AccessEvent.What.EXPORT, reason="JSON record"
    )
    data = export.patient_record(patient=patient, exported_by=request.user, at=event.at)
    stamp = timezone.localdate().isoformat()
    return _download(
        data,
        filename=f"patient-{patient.pk}-record-{stamp}.json",
        content_type="application/json",
    )


def patient_export_fhir(request, pk):
    patient = get_patient_for_user(user=request.user, pk=pk)
    event = access_record(
        request=request, patient=patient, what=AccessEvent.What.EXPORT, reason="FHIR R4 bundle"
    )
    bundle = export.patient_fhir_bundle(patient=patient, at=event.at)
    stamp = timezone.localdate().isoformat()
    return _download(
        bundle,
        filename=f"patient-{patient.pk}-fhir-{stamp}.json",
        content_type="application/fhir+json",
    )


class AnonymiseForm(forms.Form):
    reason = forms.CharField(
        label="Reason (the request and how it reached you)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )
    confirm = forms.BooleanField(
        label="I understand: names, contact details, notes and issued PDFs are removed for "
        "good, and the patient's link stops working.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("anonymise", "Anonymise this patient", css_class="btn-danger"))


def patient_anonymise_view(request, pk):
    """Confirmation page (GET) and erasure (POST) for a clinic admin of the patient's clinic.

    A colleague without the admin role sees the page without the form; their valid POST is a
    403 (and the service checks the role again).
    """
    patient = get_patient_for_user(user=request.user, pk=pk)
    may_erase = is_clinic_admin(user=request.user, clinic=patient.clinic)
    done = is_anonymised(patient)
    form = AnonymiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not may_erase:
            raise PermissionDenied
        try:
            patient_anonymise(patient=patient, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "The patient's record is anonymised.")
            return redirect("patient_detail", pk=patient.pk)
    return render(
        request,
        "clinic/anonymise_confirm.html",
        {"patient": patient, "form": form, "may_erase": may_erase and not done, "done": done},
        status=400 if form.errors else 200,
    )
