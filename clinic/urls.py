from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from clinic import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("", include("assessments.urls")),
    path("", include("rehab.urls")),
    path("admin/", admin.site.urls),
]
