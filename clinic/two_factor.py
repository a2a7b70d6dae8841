"""Two-factor login with a TOTP app: who must use it, their device, and its QR code.

A user must pass a one-time code when any clinic they belong to sets ``require_two_factor``,
and a superuser always: the admin shows them every clinic's records.
The device is django-otp's ``TOTPDevice``; enrolment keeps one unconfirmed device per user
until a first correct code confirms it. A lost phone: a superuser deletes the device in
the Django admin, and the user enrols again at the next login.
"""

from base64 import b32encode

import segno
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef, Subquery
from django.utils.safestring import SafeString, mark_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import Membership

DEVICE_NAME = "Authenticator app"


def _strict_memberships(user):
    return Membership.objects.filter(user=user, clinic__require_two_factor=True)


def two_factor_required(*, user) -> bool:
    """Read off the user row when TwoFactorAwareBackend loaded it; else one small query."""
    if user.is_superuser:
        return True
    known = getattr(user, "two_factor_required", None)
    if known is not None:
        return known
    return _strict_memberships(user.pk).exists()


class TwoFactorAwareBackend(ModelBackend):
    """Django's ModelBackend, loading the session's user with "must pass 2FA?" in the same query.

    TwoFactorMiddleware asks this on every request; folding it into the user query keeps the
    per-request cost of two-factor login at zero queries. ``team_clinic_id`` (a clinic whose
    team the user manages, or None) rides along for the menu's "Team" link.
    """

    def get_user(self, user_id):
        managed = Membership.objects.filter(
            user=OuterRef("pk"), role=Membership.Role.CLINIC_ADMIN
        ).order_by("clinic__name")
        users = get_user_model()._default_manager.annotate(
            two_factor_required=Exists(_strict_memberships(OuterRef("pk"))),
            team_clinic_id=Subquery(managed.values("clinic_id")[:1]),
        )
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


def confirmed_device(*, user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def enrolment_device(*, user) -> TOTPDevice:
    """The user's unconfirmed device, made once so the QR code stays the same on reload."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def device_verify(*, device: TOTPDevice, token: str) -> tuple[bool, str]:
    """Check a code; (ok, message for the user). Throttling backs off after each failure."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return False, "Too many wrong codes in a row. Wait a few seconds and try again."
    if device.verify_token(token):
        return True, ""
    return False, "That code is not valid. Check the clock on your phone and try the next code."


def device_confirm(*, device: TOTPDevice) -> TOTPDevice:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def manual_key(device: TOTPDevice) -> str:
    """The secret as authenticator apps ask for it when typed: base32, in groups of four."""
    key = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def qr_svg(device: TOTPDevice) -> SafeString:
    """The provisioning URI as an inline SVG QR code (no inline styles: the CSP forbids them)."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app", svgclass="otp-qr"
    )
    # segno writes the markup itself from the URI; nothing a user typed is in it.
    return mark_safe(svg)  # noqa: S308  # nosec B308 B703
