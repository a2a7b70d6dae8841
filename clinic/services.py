"""Writes to patients (numbered by the clinic when asked, and an edit that cannot overwrite a
colleague's) and to the clinic's team (invitations, roles, accounts)."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from clinic.models import Clinic, Membership, Patient


@transaction.atomic
def patient_create(*, clinic: Clinic, details: dict[str, object]) -> Patient:
    """A new patient of ``clinic``; a blank record number is given the clinic's next one.

    The clinic row is locked (on PostgreSQL) while its counter moves, so two PTs adding patients
    at once never get the same number; a number already typed by hand is skipped.
    """
    patient = Patient(clinic=clinic, **details)
    if not patient.record_number:
        clinic = Clinic.objects.select_for_update().get(pk=clinic.pk)
        number = clinic.record_number_next
        while Patient.objects.filter(
            clinic=clinic, record_number=f"{clinic.record_number_prefix}{number:05d}"
        ).exists():
            number += 1
        patient.record_number = f"{clinic.record_number_prefix}{number:05d}"
        clinic.record_number_next = number + 1
        clinic.save(update_fields=["record_number_next"])
    patient.save()
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, details: dict[str, object]) -> Patient:
    """Save an edit of the patient's details.

    ``details`` maps the patient's fields to their new values. Raises
    ``clinic.integrity.StaleVersionError`` (nothing saved) when someone else saved the patient
    after the version ``patient.version`` holds was loaded.
    """
    for name, value in details.items():
        setattr(patient, name, value)
    patient.save()
    return patient


# --- The clinic's team: invitations, roles, accounts ---------------------------------------
# Each change is in the history (Membership's, and the account's: clinic.models.AccountHistory),
# with the clinic admin who made it from HistoryRequestMiddleware.


def _active_admins(clinic: Clinic):
    return Membership.objects.filter(
        clinic=clinic, role=Membership.Role.CLINIC_ADMIN, user__is_active=True
    )


@transaction.atomic
def member_invite(
    *,
    clinic: Clinic,
    first_name: str,
    last_name: str,
    email: str,
    role: str,
    site_url: str,
) -> Membership:
    """A new account in ``clinic`` with no password, and an email with a link to set one.

    The link is Django's password-reset confirm page with a one-time token, so it works once
    and for ``PASSWORD_RESET_TIMEOUT``. The login name is the email address. Raises
    ``ValidationError`` (naming the field) when an account with this address already exists.
    """
    email = email.strip().lower()
    users = get_user_model()._default_manager
    if users.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        raise ValidationError(
            {
                "email": "An account with this email address already exists. Ask the software "
                "administrator to add that person to this clinic."
            }
        )
    user = users.model(
        username=email, email=email, first_name=first_name.strip(), last_name=last_name.strip()
    )
    user.set_unusable_password()
    user.save()
    membership = Membership.objects.create(user=user, clinic=clinic, role=role)
    invitation_send(membership=membership, site_url=site_url)
    return membership


def invitation_send(*, membership: Membership, site_url: str) -> None:
    """Email the set-password link (again). Plain text; no patient data, only the clinic."""
    user = membership.user
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "clinic": membership.clinic,
        "role": membership.get_role_display().lower(),
        "link_url": f"{site_url.rstrip('/')}{path}",
        "days": max(settings.PASSWORD_RESET_TIMEOUT // 86400, 1),
        "login_name": user.get_username(),
    }
    subject = render_to_string("clinic/email/invitation_subject.txt", context)
    send_mail(
        subject="".join(subject.splitlines()),
        message=render_to_string("clinic/email/invitation_body.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str) -> Membership:
    """Give a member another role; the clinic always keeps one active clinic admin."""
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Choose clinician or clinic admin."})
    if role == membership.role:
        return membership
    Clinic.objects.select_for_update().get(pk=membership.clinic_id)  # one change at a time
    if (
        membership.role == Membership.Role.CLINIC_ADMIN
        and not _active_admins(membership.clinic).exclude(pk=membership.pk).exists()
    ):
        raise ValidationError(
            {
                "role": "This is the clinic's last clinic admin. "
                "Make someone else clinic admin first."
            }
        )
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_set_active(*, membership: Membership, active: bool, by) -> Membership:
    """Deactivate (cannot log in; their sessions end at the next request) or reactivate.

    Refused for yourself, for the clinic's last active clinic admin, and for an account that
    also works in a clinic where ``by`` is not a clinic admin (it is not theirs to close).
    """
    user = membership.user
    if user.is_active == active:
        return membership
    if not active:
        if user.pk == by.pk:
            raise ValidationError("You cannot deactivate your own account.")
        Clinic.objects.select_for_update().get(pk=membership.clinic_id)
        if (
            membership.role == Membership.Role.CLINIC_ADMIN
            and not _active_admins(membership.clinic).exclude(pk=membership.pk).exists()
        ):
            raise ValidationError("This is the clinic's last clinic admin; it stays active.")
    if user.is_superuser:
        raise ValidationError("A software administrator's account is managed in the admin.")
    elsewhere = (
        Membership.objects.filter(user=user)
        .exclude(
            clinic__in=Membership.objects.filter(user=by, role=Membership.Role.CLINIC_ADMIN).values(
                "clinic"
            )
        )
        .exists()
    )
    if elsewhere:
        raise ValidationError(
            "This person also works in another clinic; ask the software administrator."
        )
    user.is_active = active
    user.save(update_fields=["is_active"])
    return membership
