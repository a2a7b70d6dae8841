from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from clinic.audit import access_record
from clinic.forms import PatientForm
from clinic.integrity import StaleVersionError
from clinic.models import AccessEvent
from clinic.selectors import (
    get_patient_for_user,
    is_clinic_admin,
    patients_for_user,
    patients_seen_recently,
)
from clinic.services import patient_update
from clinic.timeline import patient_timeline
from rehab.selectors import plans_due_for_follow_up, plans_with_worsening_alerts

PATIENTS_PER_PAGE = 25
DASHBOARD_LIST_SIZE = 8


def dashboard(request):
    """Where a PT's day starts: alerts first, then who was seen and who is due, then search."""
    search = request.GET.get("q", "").strip()
    patients = patients_for_user(user=request.user, search=search)
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "search": search,
        "alerts": list(plans_with_worsening_alerts(user=request.user)[:DASHBOARD_LIST_SIZE]),
        "seen_recently": list(patients_seen_recently(user=request.user)[:DASHBOARD_LIST_SIZE]),
        "due": list(plans_due_for_follow_up(user=request.user)[:DASHBOARD_LIST_SIZE]),
    }
    return render(request, "clinic/dashboard.html", context)


def patient_create(request):
    form = PatientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        patient = form.save()
        messages.success(request, f"{patient.full_name} added.")
        return redirect(patient)
    return render(request, "clinic/patient_form.html", {"form": form})


def patient_edit(request, pk):
    patient = get_patient_for_user(user=request.user, pk=pk)
    form = PatientForm(request.POST or None, instance=patient, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            patient_update(form=form)
        except StaleVersionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Patient details saved.")
            return redirect(patient)
    return render(request, "clinic/patient_form.html", {"form": form, "patient": patient})


def patient_detail(request, pk):
    patient = get_patient_for_user(user=request.user, pk=pk)
    access_record(request=request, patient=patient, what=AccessEvent.What.PATIENT)
    return render(
        request,
        "clinic/patient_detail.html",
        {
            "patient": patient,
            "timeline": patient_timeline(patient=patient),
            "can_anonymise": is_clinic_admin(user=request.user, clinic=patient.clinic),
        },
    )
