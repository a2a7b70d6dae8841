from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from clinic.forms import PatientForm
from clinic.selectors import get_patient_for_user, patients_for_user

PATIENTS_PER_PAGE = 25


def dashboard(request):
    search = request.GET.get("q", "").strip()
    patients = patients_for_user(user=request.user, search=search)
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "clinic/dashboard.html", {"page": page, "search": search})


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
        form.save()
        messages.success(request, "Patient details saved.")
        return redirect(patient)
    return render(request, "clinic/patient_form.html", {"form": form, "patient": patient})


def patient_detail(request, pk):
    patient = get_patient_for_user(user=request.user, pk=pk)
    assessments = patient.assessments.select_related("clinician", "signed_by", "amends")
    return render(
        request,
        "clinic/patient_detail.html",
        {"patient": patient, "assessments": assessments},
    )
