"""A patient's history, export and erasure; included from ``clinic/urls.py``."""

from django.urls import path

from clinic import views_history

urlpatterns = [
    path("patients/<int:pk>/history/", views_history.patient_history, name="patient_history"),
    path(
        "patients/<int:pk>/export.json",
        views_history.patient_export_json,
        name="patient_export_json",
    ),
    path(
        "patients/<int:pk>/export.fhir.json",
        views_history.patient_export_fhir,
        name="patient_export_fhir",
    ),
    path(
        "patients/<int:pk>/anonymise/",
        views_history.patient_anonymise_view,
        name="patient_anonymise",
    ),
]
