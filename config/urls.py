from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("records.urls")),
    path("", include("clinic.urls")),
    path("", include("assessments.urls")),
    path("", include("rehab.urls")),
    path("admin/", admin.site.urls),
]
