from django.contrib.auth import views as auth_views
from django.urls import path

from clinic import views, views_two_factor

urlpatterns = [
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
    # The load balancer's check (clinic/health.py): public, no patient data.
    path("health/", views.health, name="health"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("clinics/<int:pk>/team/", views.team, name="team"),
    path(
        "clinics/<int:clinic_pk>/team/<int:pk>/<str:action>/",
        views.team_member,
        name="team_member",
    ),
]
