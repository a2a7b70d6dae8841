from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from clinic import services
from clinic.forms import PatientForm
from clinic.health import health_response
from clinic.integrity import StaleVersionError
from clinic.selectors import get_patient_for_user
from clinic.services import patient_update
from clinic.submissions import once_per_submission, submission_made


@once_per_submission
def patient_create(request):
    form = PatientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        details = form.details()
        patient = services.patient_create(clinic=details.pop("clinic"), details=details)
        submission_made(request, patient)
        messages.success(request, f"{patient.full_name} added.")
        return redirect(patient)
    return render(request, "clinic/patient_form.html", {"form": form})


def patient_edit(request, pk):
    patient = get_patient_for_user(user=request.user, pk=pk)
    form = PatientForm(request.POST or None, instance=patient, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            patient_update(patient=form.instance, details=form.details())
        except StaleVersionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Patient details saved.")
            return redirect(patient)
    return render(request, "clinic/patient_form.html", {"form": form, "patient": patient})


@login_not_required
@require_safe
def health(request):
    """For the load balancer: the one page without login (it shows no patient data)."""
    return health_response()
