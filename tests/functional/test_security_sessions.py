"""Sessions end after 30 minutes idle and 12 hours after login (Django's default: two weeks)."""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from clinic.security import LOGIN_AT_SESSION_KEY


def _log_in(client):
    response = client.post(reverse("login"), {"username": "alice", "password": "pw"})
    assert response.status_code == 302
    return client.cookies["sessionid"].value


def _session(key) -> Session:
    return Session.objects.get(session_key=key)


def _is_logged_in(client) -> bool:
    return client.get(reverse("dashboard")).status_code == 200


def test_session_limits_are_30_minutes_idle_and_12_hours_in_all():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_ABSOLUTE_MAX_AGE == 12 * 60 * 60


def test_session_cookie_dies_with_the_browser(client, alice):
    _log_in(client)
    cookie = client.cookies["sessionid"]
    assert cookie["max-age"] == "" and cookie["expires"] == ""


def test_each_request_pushes_the_idle_expiry_30_minutes_ahead(client, alice):
    key = _log_in(client)
    # Time travel: 29 minutes of silence, so the session has 1 minute left.
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + timedelta(minutes=1)
    )
    assert _is_logged_in(client)
    left = _session(key).expire_date - timezone.now()
    assert timedelta(minutes=29) < left <= timedelta(minutes=30)


def test_session_idle_for_more_than_30_minutes_is_over(client, alice):
    key = _log_in(client)
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_login_stamps_the_time_of_login_in_the_session(client, alice):
    _log_in(client)
    assert abs(client.session[LOGIN_AT_SESSION_KEY] - time.time()) < 60


def _age_login(client, seconds):
    session = client.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - seconds
    session.save()


def test_busy_session_still_ends_12_hours_after_login(client, alice):
    key = _log_in(client)
    _age_login(client, 12 * 60 * 60 - 60)
    assert _is_logged_in(client)  # 11 h 59 min: still in
    _age_login(client, 12 * 60 * 60 + 1)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not Session.objects.filter(session_key=key).exists()
    page = client.get(response.url).content.decode()
    assert "Your session ended 12 hours after you logged in" in page


def test_session_without_a_login_stamp_starts_counting_now(client, alice):
    client.force_login(alice)
    session = client.session
    session.pop(LOGIN_AT_SESSION_KEY, None)
    session.save()
    assert _is_logged_in(client)
    assert abs(client.session[LOGIN_AT_SESSION_KEY] - time.time()) < 60
