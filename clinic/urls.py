from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic import views, views_history, views_two_factor

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Password reset: the same answer whether or not the address is known (docs/security.md).
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("two-factor/setup/", views_two_factor.two_factor_setup, name="two_factor_setup"),
    path("two-factor/", views_two_factor.two_factor_verify, name="two_factor_verify"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient_edit"),
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
    path("", include("assessments.urls")),
    path("", include("rehab.urls")),
    path("admin/", admin.site.urls),
]
