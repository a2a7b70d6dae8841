"""The pages the accessibility gates check, read from the tables the access tests keep.

Every URL of the access matrix (tests/functional/test_url_access_matrix.py ``ROUTES``) that
answers a member's GET with an HTML page is a clinician's page; every public one is the
runner's (their link, and the login and password pages anyone may open). The clinic admin's
pages are the Django admin's index, the clinical-knowledge page and the list and change page
of every clinic-scoped admin. So a new URL or a new admin is checked without anyone adding it
here: the axe gate (tests/e2e/test_accessibility.py) and the Nu HTML checker gate
(tests/functional/test_valid_html.py) both walk these lists.

``every_record`` (tests/functional/test_audit_every_read.py) gives each page something to show:
a plan with sessions, a decision, a questionnaire answered, a cleared red flag.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Permission
from django.test import Client, RequestFactory
from django.urls import reverse

from clinic.admin import ClinicScopedAdmin
from tests.factories import UserFactory
from tests.functional.test_url_access_matrix import ROUTES

ROLES = ("clinician", "clinic_admin", "runner")
# Laptop, tablet, phone.
WIDTHS = (1280, 768, 390)
# The narrowest screen WCAG 1.4.10 asks a page to reflow into (320 CSS px).
REFLOW_WIDTH = 320


def _is_html(response) -> bool:
    return response.status_code == 200 and response["Content-Type"].startswith("text/html")


def clinician_pages(objects: dict, user) -> list[str]:
    """Each member page of the access matrix that answers GET with HTML (PDFs, JSON left out)."""
    client = Client()
    client.force_login(user)
    urls = []
    for name, route in sorted(ROUTES.items()):
        if route.public or route.member[0] != 200:
            continue
        url = reverse(name, kwargs=route.fill(objects))
        if _is_html(client.get(url)):
            urls.append(url)
    # The signed assessment too (the matrix opens the draft): its frozen differential.
    urls.append(objects["signed"].get_absolute_url())
    return urls


def runner_pages(objects: dict) -> list[str]:
    """Each public page of the access matrix, as the runner (no login) opens it."""
    client = Client()
    urls = []
    for name, route in sorted(ROUTES.items()):
        if not route.public or route.anonymous[0] != 200:
            continue
        url = reverse(name, kwargs=route.fill(objects))
        if _is_html(client.get(url)):
            urls.append(url)
    # A dead link: the page a runner sees once the plan's link is revoked or mistyped.
    urls.append(reverse("patient_plan_page", args=["no-such-token"]))
    return urls


def clinic_admin(clinic):
    """A clinic admin of ``clinic`` holding every permission on the clinical apps."""
    user = UserFactory(username="dana", clinic=clinic, clinic__role="clinic_admin", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label__in=["clinic", "assessments", "rehab"])
    )
    return user


def admin_pages(user) -> list[str]:
    """The admin index, the knowledge page, and each scoped admin's list and first row."""
    request = RequestFactory().get("/admin/")
    request.user = user
    urls = [reverse("admin:index"), reverse("admin:clinical_knowledge")]
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda item: item[0]._meta.label
    ):
        if not isinstance(model_admin, ClinicScopedAdmin):
            continue  # superusers only
        info = (model._meta.app_label, model._meta.model_name)
        urls.append(reverse("admin:{}_{}_changelist".format(*info)))
        row = model_admin.get_queryset(request).order_by("pk").first()
        if row is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[row.pk]))
    client = Client()
    client.force_login(user)
    return [url for url in urls if _is_html(client.get(url))]
