"""Outcome measures for one patient: record one (LEFS, VISA-H, pain), list them with change.

Access goes through ``get_patient_for_user``: another clinic's patient is a 404.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from clinic.audit import read_as
from clinic.models import AccessEvent
from clinic.selectors import get_patient_for_user
from rehab import charts, outcomes
from rehab.chart_data import outcome_history, outcome_measurements_for_patient, pain_series
from rehab.forms_outcomes import OutcomeMeasurementForm
from rehab.services import outcome_measurement_record


@read_as(AccessEvent.What.OUTCOMES)
def outcome_list(request, patient_pk):
    patient = get_patient_for_user(user=request.user, pk=patient_pk)
    measurements = list(outcome_measurements_for_patient(patient=patient))
    histories = outcome_history(measurements)
    pain = pain_series(measurements=measurements)
    chart_list = []
    if pain:
        chart_list.append(
            charts.Chart(
                key="pain",
                title="Pain over time",
                alt="Measured pain over time (0-10). " + charts.describe(pain, unit="/10"),
                svg=charts.pain_chart_svg(pain, title="Measured pain over time"),
            )
        )
    chart_list += [
        charts.outcome_chart(
            history.measure.code,
            history.points,
            reported=history.reported_points,
            change=history.latest_change,
        )
        for history in histories
        if history.measure.group == "function"
    ]
    return render(
        request,
        "rehab/outcomes/outcome_list.html",
        {
            "patient": patient,
            "histories": histories,
            "charts": chart_list,
            "measures": outcomes.measures(),
        },
    )


@read_as(AccessEvent.What.OUTCOMES)
def outcome_record(request, patient_pk, measure):
    patient = get_patient_for_user(user=request.user, pk=patient_pk)
    try:
        definition = outcomes.measure(measure)
    except outcomes.UnknownMeasureError:
        raise Http404 from None
    latest_plan = patient.plans.exclude(status="ended").first()
    form = OutcomeMeasurementForm(
        request.POST or None,
        measure=definition,
        patient=patient,
        initial={"measured_on": timezone.localdate(), "plan": latest_plan},
    )
    if request.method == "POST" and form.is_valid():
        answers = {code: form.cleaned_data.get(code) for code in form.item_codes}
        measurement = outcome_measurement_record(
            patient=patient,
            measure=definition.code,
            measured_on=form.cleaned_data["measured_on"],
            responses={k: v for k, v in answers.items() if v not in (None, "")},
            recorded_by=request.user,
            plan=form.cleaned_data["plan"],
        )
        messages.success(
            request,
            f"{definition.short_name} saved: {measurement.total}/{definition.maximum}.",
        )
        return redirect(reverse("outcome_list", args=[patient.pk]))
    return render(
        request,
        "rehab/outcomes/outcome_form.html",
        {"patient": patient, "measure": definition, "form": form},
        status=400 if form.errors else 200,
    )
