"""Clinics, the people who work in them, and their patients."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.utils import timezone
from simple_history import register
from simple_history.models import HistoricalRecords

from clinic.integrity import GuardedManager, VersionedModel
from clinic.links import url_for_id


class Clinic(models.Model):
    class PageSize(models.TextChoices):
        A4 = "A4", "A4"
        LETTER = "Letter", "US Letter"

    class DistanceUnit(models.TextChoices):
        KM = "km", "Kilometres"
        MILES = "mi", "Miles"

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
    record_number_prefix = models.CharField(
        max_length=10,
        default="R-",
        help_text="Start of the numbers the clinic gives a new patient whose number is left blank.",
    )
    record_number_next = models.PositiveIntegerField(
        default=1, help_text="The number the next automatically numbered patient gets."
    )
    distance_unit = models.CharField(
        max_length=2,
        choices=DistanceUnit.choices,
        default=DistanceUnit.KM,
        help_text="How running distances are asked for and shown: pages, PDFs, the runner's "
        "link. Stored in km either way.",
    )
    require_two_factor = models.BooleanField(
        "require two-factor login",
        default=False,
        help_text="Everyone in this clinic enters a code from an authenticator app at login.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

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
    # Who gave whom access, and when a role changed: the perimeter's own audit trail.
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="one_membership_per_clinic")
        ]
        ordering = ["clinic__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} at {self.clinic} ({self.get_role_display()})"


class AccountHistory(HistoricalRecords):
    """A user account's history without its logins: each login saves only ``last_login``."""

    def post_save(self, instance, created, using=None, **kwargs):
        if kwargs.get("update_fields") == frozenset({"last_login"}):
            return
        super().post_save(instance, created, using=using, **kwargs)


# Who invited, renamed, deactivated or reactivated an account, and when (the team page shows
# it). Never the password hash: an old hash kept in history is one more to crack.
register(
    get_user_model(),
    app="clinic",
    records_class=AccountHistory,
    excluded_fields=["password", "last_login"],
)


def not_a_member_error(user_id, clinic_id) -> str | None:
    """Why ``user`` may not be named on a record of the clinic, or None when they may.

    Who recorded, decided or created something must work in the record's clinic: shared by the
    models' ``clean()``, so the app's forms and the admin refuse the same people.
    """
    if user_id is None or clinic_id is None:
        return None
    if Membership.objects.filter(user_id=user_id, clinic_id=clinic_id).exists():
        return None
    return "This person does not work in the record's clinic."


class Patient(VersionedModel):
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
    phone = models.CharField(max_length=40, blank=True)
    record_number = models.CharField(
        max_length=40, help_text="The clinic's own record number; unique within the clinic."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = GuardedManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "record_number"], name="record_number_unique_in_clinic"
            )
        ]
        indexes = [
            # The dashboard's patient list: one clinic, by name, then id (a page never repeats
            # a patient), read in index order up to the page (clinic.selectors.patient_list).
            models.Index(
                fields=["clinic", "last_name", "first_name", "id"], name="patient_list_idx"
            )
        ]
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.full_name

    def get_absolute_url(self) -> str:
        return url_for_id("patient_detail", self.pk)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day) -> int:
        """Whole years of age on ``day``: what the assessment's age is filled in with."""
        had_birthday = (day.month, day.day) >= (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - (0 if had_birthday else 1)


class AccessEvent(models.Model):
    """Who read, exported or erased a patient's record, and when (append-only).

    Written by ``clinic.audit.ReadAuditMiddleware`` for every answered request to a URL that
    shows patient data (app and admin), by ``records.services.patient_anonymise``, and by
    ``rehab.services.worsening_digest_send`` for each record an email names. ``user``
    is empty when the patient used their plan link; ``view`` is the URL's name.
    ``object_repr`` names the kind and id only, never the patient.
    """

    class What(models.TextChoices):
        PATIENT = "patient", "Opened the patient record"
        ASSESSMENT = "assessment", "Opened an assessment"
        PLAN = "plan", "Opened a plan"
        OUTCOMES = "outcomes", "Opened the outcome measures"
        DOCUMENT = "document", "Downloaded an issued PDF"
        PREVIEW = "preview", "Opened a PDF preview"
        HISTORY = "history", "Opened the record's history"
        EXPORT = "export", "Exported the record"
        LINK_PAGE = "link_page", "Patient link: opened the plan page"
        LINK_POST = "link_post", "Patient link: sent the session form"
        LINK_PDF = "link_pdf", "Patient link: downloaded the PDF"
        ERASURE = "erasure", "Anonymised the record"
        ADMIN = "admin", "Opened in the admin"
        ADMIN_LIST = "admin_list", "Listed in the admin"
        DIGEST = "digest", "Named in the worsening digest email"

    # No database constraint: the audit outlives a deleted patient row (the id stays).
    patient = models.ForeignKey(
        Patient,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="access_events",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the patient used their plan link.",
    )
    what = models.CharField(max_length=10, choices=What.choices)
    view = models.CharField(max_length=120, blank=True, help_text="The URL's name.")
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    object_repr = models.CharField(max_length=120, blank=True)
    reason = models.TextField(blank=True)
    ip = models.GenericIPAddressField("IP address", null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "-at"]),
            # When a clinician last opened a record (the dashboard's inbox, per active plan):
            # bounded by their own openings of it, not by every read of the patient.
            models.Index(
                fields=["user", "object_type", "object_id", "-at"], name="access_user_object_at"
            ),
        ]

    def __str__(self) -> str:
        what = self.object_repr or "record"
        return f"{self.get_what_display()} ({what}) at {self.at:%Y-%m-%d %H:%M}"


class FormSubmission(models.Model):
    """A create form's one-time key and what its first post made.

    A double click or Back-and-resend posts the same key again; the second post is sent to
    what the first one made instead of making a duplicate. Holds no patient data: only the
    address of the record made.
    """

    key = models.UUIDField(unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(max_length=200)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.key} → {self.result_url}"
