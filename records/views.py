"""What spans the apps: the dashboard and a patient's record as a whole.

- ``dashboard``: where a PT's day starts (alerts, seen recently, due for follow-up, search).
- ``patient_detail``: the patient's timeline across assessments, plans and outcomes.
- ``patient_history``: every change (django-simple-history, with the changed fields) and every
  read (``AccessEvent``), newest first, paginated, for the clinicians of the patient's clinic.
- ``patient_export_json`` / ``patient_export_fhir``: the whole record for an access request or
  a transfer (``records/export.py``).
- ``patient_anonymise_view``: erasure, for a clinic admin of the patient's clinic, after a
  confirmation page (``records.services.patient_anonymise``).

Access goes through ``get_patient_for_user``: another clinic's patient is a 404.
"""

import json

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from clinic.audit import read_as
from clinic.models import AccessEvent
from clinic.selectors import (
    get_patient_for_patient_page,
    get_patient_for_user,
    is_anonymised,
    is_clinic_admin,
    patient_list,
    patients_seen_recently,
)
from records import export
from records.history import StreamPaginator, compiled_audit_stream, patient_audit_entries
from records.services import patient_anonymise
from records.timeline import patient_plans, patient_timeline
from rehab.selectors import dashboard_plans

PATIENTS_PER_PAGE = 25
DASHBOARD_LIST_SIZE = 8
INBOX_SIZE = 10
FULL_LIST_PER_PAGE = 50
HISTORY_PER_PAGE = 50
# The dashboard's plan lists, each shown in full on its own page (the dashboard shows the first).
DASHBOARD_LISTS = {
    "alerts": "Worsening reported by patients",
    "inbox": "Inbox: new since you last opened each plan",
    "due": "Due for follow-up (no session for a week)",
}


def dashboard(request):
    """Where a PT's day starts: alerts first, the inbox (what came in since the PT last opened
    each plan), then who was seen and who is due, then search. Each plan list shows its first
    entries, how many there are and a link to the whole list (``dashboard_list``)."""
    search = request.GET.get("q", "").strip()
    patients = patient_list(user=request.user, search=search)
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "search": search,
        "plans": dashboard_plans(
            user=request.user, size=DASHBOARD_LIST_SIZE, inbox_size=INBOX_SIZE
        ),
        "seen_recently": patients_seen_recently(user=request.user, size=DASHBOARD_LIST_SIZE),
    }
    return render(request, "records/dashboard.html", context)


def dashboard_list(request, which):
    """One of the dashboard's plan lists in full, a page at a time."""
    if which not in DASHBOARD_LISTS:
        raise Http404
    try:
        number = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        number = 1
    start = (number - 1) * FULL_LIST_PER_PAGE
    plans = dashboard_plans(
        user=request.user,
        size=None,
        inbox_size=FULL_LIST_PER_PAGE if which == "inbox" else 0,
        inbox_start=start,
    )
    if which == "inbox":
        total, items = plans.inbox.total, plans.inbox.entries
    else:
        everything = plans.alerts if which == "alerts" else plans.due
        total, items = len(everything), everything[start : start + FULL_LIST_PER_PAGE]
    try:
        page = Paginator(range(total), FULL_LIST_PER_PAGE).page(number)
    except InvalidPage as error:
        raise Http404 from error
    context = {"which": which, "title": DASHBOARD_LISTS[which], "page": page, "items": items}
    return render(request, "records/dashboard_list.html", context)


def patient_detail(request, pk):
    patient, is_admin = get_patient_for_patient_page(user=request.user, pk=pk)
    plans = patient_plans(patient=patient)
    return render(
        request,
        "records/patient_detail.html",
        {
            "patient": patient,
            "plans": plans,
            "timeline": patient_timeline(patient=patient, plans=plans),
            "can_anonymise": is_admin,
        },
    )


@read_as(AccessEvent.What.HISTORY)
def patient_history(request, pk):
    patient = get_patient_for_user(user=request.user, pk=pk)
    stream = compiled_audit_stream(patient=patient)
    page = StreamPaginator(stream, HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    entries = patient_audit_entries(patient=patient, rows=page.object_list)
    return render(
        request, "records/history.html", {"patient": patient, "page": page, "entries": entries}
    )


def _download(data: dict, *, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type=content_type
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@read_as(AccessEvent.What.EXPORT)
def patient_export_json(request, pk):
    patient = get_patient_for_user(user=request.user, pk=pk)
    data = export.patient_record(patient=patient, exported_by=request.user, at=timezone.now())
    stamp = timezone.localdate().isoformat()
    return _download(
        data,
        filename=f"patient-{patient.pk}-record-{stamp}.json",
        content_type="application/json",
    )


@read_as(AccessEvent.What.EXPORT)
def patient_export_fhir(request, pk):
    patient = get_patient_for_user(user=request.user, pk=pk)
    bundle = export.patient_fhir_bundle(patient=patient, at=timezone.now())
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
        "records/anonymise_confirm.html",
        {"patient": patient, "form": form, "may_erase": may_erase and not done, "done": done},
        status=400 if form.errors else 200,
    )
