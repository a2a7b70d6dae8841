"""Writes to patients (numbered by the clinic when asked, and an edit that cannot overwrite a
colleague's) and to the clinic's team (invitations, roles, accounts)."""

from collections.abc import Iterable

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


def _error(message: str, field: str | None) -> ValidationError:
    return ValidationError({field: message} if field else message)


def clinic_admins_kept(*, leaving: Iterable[Membership], field: str | None = None) -> None:
    """Refuse a change that takes the ``leaving`` memberships out of their clinics' active
    clinic admins (another role, a closed or another account, a deletion) when it would leave
    a clinic with none. The one rule for the team page and the Django admin.

    Raises ``ValidationError`` naming ``field`` (the whole form when None). Locks the clinics'
    rows (on PostgreSQL) so two changes at once cannot each remove the other's last admin: call
    it inside the transaction that saves the change.
    """
    leaving = list(leaving)
    clinics = Clinic.objects.select_for_update().filter(pk__in={m.clinic_id for m in leaving})
    for clinic in clinics.order_by("pk"):
        admins = _active_admins(clinic)
        if admins.exists() and not admins.exclude(pk__in=[m.pk for m in leaving]).exists():
            raise _error(
                f"This is the last clinic admin of {clinic.name}. "
                "Make someone else clinic admin there first.",
                field,
            )


def account_deactivate_check(*, user, by, field: str | None = None) -> None:
    """Refuse closing your own account, or one that is the last active clinic admin of any of
    its clinics (``clinic_admins_kept``); inside the transaction that saves it."""
    if user.pk == by.pk:
        raise _error("You cannot deactivate your own account.", field)
    clinic_admins_kept(leaving=Membership.objects.filter(user=user), field=field)


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
    if role != Membership.Role.CLINIC_ADMIN:
        clinic_admins_kept(leaving=[membership], field="role")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_set_active(*, membership: Membership, active: bool, by) -> Membership:
    """Deactivate (cannot log in; their sessions end at the next request) or reactivate.

    Refused for a software administrator's account, for an account that also works in a
    clinic where ``by`` is not a clinic admin (it is not theirs to close), and, to deactivate,
    for yourself and for the last active clinic admin of any of the account's clinics.
    """
    user = membership.user
    if user.is_active == active:
        return membership
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
    if not active:  # every clinic of the account is ``by``'s, so the refusal may name it
        account_deactivate_check(user=user, by=by)
    user.is_active = active
    user.save(update_fields=["is_active"])
    return membership
