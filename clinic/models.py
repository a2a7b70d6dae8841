"""Clinics, the people who work in them, and their patients."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords


class Clinic(models.Model):
    class PageSize(models.TextChoices):
        A4 = "A4", "A4"
        LETTER = "Letter", "US Letter"

    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    pdf_page_size = models.CharField(
        "PDF page size", max_length=6, choices=PageSize.choices, default=PageSize.A4
    )
    patient_link_days = models.PositiveSmallIntegerField(
        "patient link days after plan end",
        default=30,
        help_text="How long a patient's plan link keeps working after the plan ends.",
    )
    require_two_factor = models.BooleanField(
        "require two-factor login",
        default=False,
        help_text="Everyone in this clinic enters a code from an authenticator app at login.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    """A user works in a clinic in a role; every record a user may see goes through this."""

    class Role(models.TextChoices):
        CLINICIAN = "clinician", "Clinician"
        CLINIC_ADMIN = "clinic_admin", "Clinic admin"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices, default=Role.CLINICIAN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="one_membership_per_clinic")
        ]
        ordering = ["clinic__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} at {self.clinic} ({self.get_role_display()})"


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=6, choices=Sex.choices)
    email = models.EmailField(blank=True)
    record_number = models.CharField(
        max_length=40, help_text="The clinic's own record number; unique within the clinic."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "record_number"], name="record_number_unique_in_clinic"
            )
        ]
        indexes = [models.Index(fields=["clinic", "last_name", "first_name"])]
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return reverse("patient_detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"
