from django.urls import path

from records import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("lists/<slug:which>/", views.dashboard_list, name="dashboard_list"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/history/", views.patient_history, name="patient_history"),
    path("patients/<int:pk>/export.json", views.patient_export_json, name="patient_export_json"),
    path(
        "patients/<int:pk>/export.fhir.json",
        views.patient_export_fhir,
        name="patient_export_fhir",
    ),
    path("patients/<int:pk>/anonymise/", views.patient_anonymise_view, name="patient_anonymise"),
]
