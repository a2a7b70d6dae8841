"""Two-factor login (TOTP) for users of a clinic that requires it; nothing changes otherwise."""

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import ClinicFactory, UserFactory


def _log_in(client, username="alice"):
    response = client.post(reverse("login"), {"username": username, "password": "pw"})
    assert response.status_code == 302
    return response


def _code(device: TOTPDevice, drift: int = 0) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{value:0{device.digits}d}"


def _wrong_code(device: TOTPDevice) -> str:
    right = {_code(device, drift) for drift in (-1, 0, 1)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


@pytest.fixture
def strict_clinic(clinic):
    clinic.require_two_factor = True
    clinic.save()
    return clinic


@pytest.fixture
def enrolled(alice):
    return TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)


def test_without_the_flag_a_password_is_enough(client, alice):
    _log_in(client)
    assert client.get(reverse("dashboard")).status_code == 200
    assert not TOTPDevice.objects.exists()


def test_with_the_flag_a_password_only_session_is_sent_to_enrolment(client, alice, strict_clinic):
    assert _log_in(client).url == reverse("dashboard")
    for url in (reverse("dashboard"), reverse("patient_create"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(f"{reverse('two_factor_setup')}?next="), url


def test_enrolment_page_shows_a_qr_code_and_the_key(client, alice, strict_clinic):
    _log_in(client)
    page = client.get(reverse("two_factor_setup")).content.decode()
    device = TOTPDevice.objects.get(user=alice)
    assert not device.confirmed
    assert "<svg" in page and 'class="otp-qr"' in page
    assert "style=" not in page.split('class="otp-qr-box')[1].split("</div>")[0]
    key = page.split('id="otp-key">')[1].split("<")[0].replace(" ", "")
    assert key and device.config_url.split("secret=")[1].startswith(key)
    # Reloading keeps the same device, so a half-done enrolment is not lost.
    client.get(reverse("two_factor_setup"))
    assert TOTPDevice.objects.filter(user=alice).count() == 1


def test_correct_code_confirms_the_device_and_lets_the_user_in(client, alice, strict_clinic):
    _log_in(client)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=alice)
    before = client.cookies["sessionid"].value
    response = client.post(
        reverse("two_factor_setup"), {"token": _code(device), "next": reverse("patient_create")}
    )
    assert response.status_code == 302
    assert response.url == reverse("patient_create")
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("dashboard")).status_code == 200
    # The second factor also gets a fresh session key.
    assert client.cookies["sessionid"].value != before
    assert not Session.objects.filter(session_key=before).exists()


def test_wrong_code_keeps_the_user_out(client, alice, strict_clinic):
    _log_in(client)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=alice)
    response = client.post(reverse("two_factor_setup"), {"token": _wrong_code(device)})
    assert response.status_code == 400
    assert "That code is not valid" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(reverse("dashboard")).url.startswith(reverse("two_factor_setup"))


def test_malformed_code_gets_a_field_message(client, alice, strict_clinic):
    _log_in(client)
    response = client.post(reverse("two_factor_setup"), {"token": "12ab56"})
    assert response.status_code == 400
    assert "Type the six digits your app shows" in response.content.decode()


def test_enrolled_user_is_asked_for_a_code_at_each_login(client, alice, strict_clinic, enrolled):
    _log_in(client)
    response = client.get(reverse("dashboard"))
    assert response.url.startswith(f"{reverse('two_factor_verify')}?next=")
    # A second enrolment (an attacker holding only the password) is refused.
    assert client.get(reverse("two_factor_setup")).url.startswith(reverse("two_factor_verify"))
    assert (
        client.post(reverse("two_factor_verify"), {"token": _wrong_code(enrolled)}).status_code
        == 400
    )
    assert client.get(reverse("dashboard")).status_code == 302


def test_enrolled_user_gets_in_with_the_current_code(client, alice, strict_clinic, enrolled):
    _log_in(client)
    response = client.post(reverse("two_factor_verify"), {"token": _code(enrolled)})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_a_code_cannot_be_used_twice(client, alice, strict_clinic, enrolled):
    code = _code(enrolled)
    _log_in(client)
    assert client.post(reverse("two_factor_verify"), {"token": code}).status_code == 302
    client.post(reverse("logout"))
    _log_in(client)
    assert client.post(reverse("two_factor_verify"), {"token": code}).status_code == 400


def test_wrong_codes_slow_down_the_next_try(client, alice, strict_clinic, enrolled):
    _log_in(client)
    client.post(reverse("two_factor_verify"), {"token": _wrong_code(enrolled)})
    response = client.post(reverse("two_factor_verify"), {"token": _code(enrolled)})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()


def test_one_strict_clinic_among_several_is_enough(client, alice, strict_clinic):
    other = ClinicFactory(name="Lenient")
    alice.memberships.create(clinic=other)
    _log_in(client)
    assert client.get(reverse("dashboard")).status_code == 302


def test_logout_and_public_patient_pages_stay_reachable_before_the_code(
    client, alice, strict_clinic
):
    _log_in(client)
    assert client.get(reverse("patient_plan_page", args=["no-such-token"])).status_code == 404
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_next_pointing_elsewhere_is_ignored(client, alice, strict_clinic, enrolled):
    _log_in(client)
    response = client.post(
        reverse("two_factor_verify"), {"token": _code(enrolled), "next": "https://evil.example/"}
    )
    assert response.url == reverse("dashboard")


def test_the_two_factor_check_rides_on_the_user_query(client, alice, strict_clinic, enrolled):
    _log_in(client)
    client.post(reverse("two_factor_verify"), {"token": _code(enrolled)})
    client.post(reverse("logout"))
    _log_in(client)  # a fresh, unverified session: the middleware must ask on every request
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard")).status_code == 302
    asking = [q["sql"] for q in queries.captured_queries if "require_two_factor" in q["sql"]]
    assert len(asking) == 1
    assert asking[0].startswith('SELECT "auth_user"')


def test_the_admin_never_shows_a_devices_secret_or_its_qr_code(admin_client, alice):
    device = TOTPDevice.objects.create(user=alice, name="phone", confirmed=True)
    change = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert change.status_code == 200
    assert device.key not in change.content.decode()
    assert "qrcode" not in change.content.decode().lower()
    config = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/")
    assert config.status_code == 403
    listing = admin_client.get("/admin/otp_totp/totpdevice/")
    assert device.key not in listing.content.decode()


# --- Superusers: always a second factor (docs/security.md, "Superusers") ------------------


def test_a_superuser_needs_a_second_factor_for_the_admin_with_no_clinic_flag(client, db):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    _log_in(client, "root")
    for url in (reverse("admin:index"), reverse("admin:clinic_patient_changelist")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(f"{reverse('two_factor_setup')}?next="), url
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=root)
    client.post(reverse("two_factor_setup"), {"token": _code(device)})
    assert client.get(reverse("admin:clinic_patient_changelist")).status_code == 200
    # Next login: the password alone is not enough again.
    client.logout()
    _log_in(client, "root")
    response = client.get(reverse("admin:index"))
    assert response.url.startswith(f"{reverse('two_factor_verify')}?next=")


def test_staff_who_are_not_superusers_keep_their_clinics_rule(client, alice):
    alice.is_staff = True
    alice.save()
    _log_in(client)
    assert client.get(reverse("admin:index")).status_code == 200
