from django.urls import path

from assessments import views

urlpatterns = [
    path(
        "patients/<int:patient_pk>/assessments/new/",
        views.assessment_create,
        name="assessment_create",
    ),
    path(
        "patients/<int:patient_pk>/assessments/preview/",
        views.assessment_preview,
        name="assessment_preview",
    ),
    path("assessments/<int:pk>/", views.assessment_detail, name="assessment_detail"),
    path("assessments/<int:pk>/edit/", views.assessment_edit, name="assessment_edit"),
    path("assessments/<int:pk>/sign/", views.assessment_sign_view, name="assessment_sign"),
    path("assessments/<int:pk>/discard/", views.assessment_discard_view, name="assessment_discard"),
    path("assessments/<int:pk>/amend/", views.assessment_amend_view, name="assessment_amend"),
    path(
        "assessments/<int:pk>/red-flags/clear/",
        views.red_flag_clear_view,
        name="red_flag_clear",
    ),
    path("differential/knowledge/", views.differential_knowledge, name="differential_knowledge"),
]
