"""Login: throttled per username and address, no account enumeration, a new session key.

django-axes counts failures per (username, address) pair: 5 in a row lock that pair out for
15 minutes, whether or not the username exists, so the lockout itself tells nothing.
"""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core import mail
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from clinic.security import client_ip
from tests.factories import UserFactory

LOGIN = "/login/"


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


def _fail_five_times(client, username, ip="10.0.0.1"):
    return [_login(client, username, "wrong-password", ip) for _ in range(5)]


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_five_failures_lock_the_username_out_even_with_the_right_password(client, alice):
    answers = _fail_five_times(client, "alice")
    assert [a.status_code for a in answers[:4]] == [200] * 4
    locked = _login(client, "alice", "pw")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    page = locked.content.decode()
    assert "Too many failed log-in attempts" in page
    assert "paused for 15 minutes" in page


def test_four_failures_still_let_the_right_password_in(client, alice):
    for _ in range(4):
        _login(client, "alice", "wrong-password")
    assert _login(client, "alice", "pw").status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)


@pytest.mark.django_db
def test_lockout_page_is_the_same_for_a_known_and_an_unknown_username(client, alice):
    _fail_five_times(client, "alice")
    known = _login(client, "alice", "wrong-password")
    _fail_five_times(client, "nobody-by-this-name")
    unknown = _login(client, "nobody-by-this-name", "wrong-password")
    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content
    assert b"alice" not in known.content


def test_lockout_is_per_username_and_address(client, alice, bob):
    _fail_five_times(client, "alice", ip="10.0.0.1")
    assert _login(client, "alice", "pw", ip="10.0.0.1").status_code == 429
    # The same account from another address, and another account from the same address.
    assert _login(client, "alice", "pw", ip="10.0.0.2").status_code == 302
    client.logout()
    assert _login(client, "bob", "pw", ip="10.0.0.1").status_code == 302


def test_lockout_ends_after_15_minutes(client, alice):
    _fail_five_times(client, "alice")
    assert _login(client, "alice", "pw").status_code == 429
    # Time travel: the failures happened 14 minutes ago, then 16.
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert _login(client, "alice", "pw").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert _login(client, "alice", "pw").status_code == 302


def test_trying_during_the_lockout_does_not_extend_it(client, alice):
    _fail_five_times(client, "alice")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))
    assert _login(client, "alice", "wrong-password").status_code == 429  # during the lockout
    # Six more minutes pass: 16 since the fifth failure, 6 since the try during the lockout.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=6))
    assert _login(client, "alice", "pw").status_code == 302


def test_wrong_password_and_unknown_username_get_the_same_answer(client, alice):
    wrong_password = _login(client, "alice", "not-her-password")
    unknown_user = _login(client, "no-such-user", "not-her-password")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert "Please enter a correct username and password" in wrong_password.content.decode()
    # Identical but for the username echoed back into the field the user typed it in.
    known_page = _without_csrf(wrong_password.content.decode()).replace("alice", "X")
    unknown_page = _without_csrf(unknown_user.content.decode()).replace("no-such-user", "X")
    assert known_page == unknown_page


@pytest.mark.django_db
def test_password_reset_answers_the_same_for_known_and_unknown_addresses(client):
    UserFactory(username="erin", email="erin@clinic.example")
    known = client.post(reverse("password_reset"), {"email": "erin@clinic.example"})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@clinic.example"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url == reverse("password_reset_done")
    done = client.get(known.url).content.decode()
    assert "If the address you typed belongs to an account" in done
    # Only the real account gets mail; the answer on screen does not say so.
    assert [m.to for m in mail.outbox] == [["erin@clinic.example"]]
    assert "/password-reset/" in mail.outbox[0].body


@pytest.mark.django_db
def test_password_reset_link_sets_a_new_password_and_works_once(client):
    erin = UserFactory(username="erin", email="erin@clinic.example")
    client.post(reverse("password_reset"), {"email": "erin@clinic.example"})
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    new = "a-long-new-passphrase-1"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    erin.refresh_from_db()
    assert erin.check_password(new)
    again = client.get(link, follow=True).content.decode()
    assert "This link no longer works" in again


def test_login_gives_the_session_a_new_key(client, alice):
    session = client.session  # an anonymous session, as a visitor would have
    session["visited"] = True
    session.save()
    before = client.cookies["sessionid"].value
    assert _login(client, "alice", "pw").status_code == 302
    after = client.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_client_address_is_remote_addr_without_a_proxy(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(request) == "10.0.0.9"  # a client cannot pick its address by header


def test_client_address_behind_one_proxy_ignores_what_the_client_wrote(rf, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"
