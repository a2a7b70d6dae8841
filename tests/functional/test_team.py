"""The clinic's team page: a clinic admin invites a physio (a set-password email through
Django's auth), changes roles, deactivates and reactivates accounts, all in the history."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from clinic.models import Clinic, Membership
from tests.factories import UserFactory, verified_login

User = get_user_model()


@pytest.fixture
def dana(clinic):
    """The clinic admin of clinic A (Riverside)."""
    return UserFactory(
        username="dana",
        first_name="Dana",
        last_name="Boss",
        clinic=clinic,
        clinic__role="clinic_admin",
    )


@pytest.fixture
def dana_client(dana):
    """Dana's own browser (``client`` stays free for the other person in a test)."""
    client = Client()
    client.force_login(dana)
    return client


def _invite(client, clinic, **overrides):
    data = {
        "invite-first_name": "Pat",
        "invite-last_name": "Newcomer",
        "invite-email": "Pat.Newcomer@example.com",
        "invite-role": "clinician",
        **overrides,
    }
    return client.post(reverse("team", args=[clinic.pk]), data)


def _logs_in(client, username, password) -> bool:
    """Through the login page (django-axes needs the request)."""
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def _link(message) -> str:
    return re.search(r"https?://\S+/password-reset/\S+/", message.body).group(0)


def test_invite_makes_a_passwordless_member_and_emails_a_plain_set_password_link(
    dana_client, clinic, patient
):
    response = _invite(dana_client, clinic)
    assert response.status_code == 302
    user = User.objects.get(username="pat.newcomer@example.com")
    assert not user.has_usable_password() and user.is_active
    assert Membership.objects.get(user=user).clinic == clinic
    (message,) = mail.outbox
    assert message.to == ["pat.newcomer@example.com"]
    assert "Riverside" in message.subject
    assert not message.alternatives  # plain text only
    assert patient.last_name not in message.body and patient.record_number not in message.body
    assert "/password-reset/" in message.body


def test_the_emailed_link_sets_a_password_and_the_invitee_logs_in(dana_client, clinic, client):
    _invite(dana_client, clinic)
    dana_client.logout()
    link = _link(mail.outbox[0])
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "calf-raise-2026!", "new_password2": "calf-raise-2026!"}
    )
    assert done.status_code == 302
    assert _logs_in(client, "pat.newcomer@example.com", "calf-raise-2026!")
    assert client.get(reverse("dashboard")).status_code == 200
    # The link works once.
    client.logout()
    assert "no longer works" in client.get(link, follow=True).content.decode()


def test_an_invitee_of_a_two_factor_clinic_must_set_up_an_authenticator_first(
    dana_client, dana, clinic, client
):
    Clinic.objects.filter(pk=clinic.pk).update(require_two_factor=True)
    verified_login(dana_client, dana)
    _invite(dana_client, clinic)
    assert "authenticator app" in mail.outbox[0].body
    user = User.objects.get(username="pat.newcomer@example.com")
    user.set_password("calf-raise-2026!")
    user.save()
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("two_factor_setup"))


def test_invite_with_a_taken_address_or_a_bad_field_names_the_field_and_keeps_the_typing(
    dana_client, clinic, alice
):
    alice.email = "alice@example.com"
    alice.save()
    taken = _invite(dana_client, clinic, **{"invite-email": "ALICE@example.com"})
    assert taken.status_code == 400
    page = taken.content.decode()
    assert "already exists" in page and 'value="Newcomer"' in page
    bad = _invite(dana_client, clinic, **{"invite-email": "not an address", "invite-role": "boss"})
    assert bad.status_code == 400
    assert ">Email</a>" in bad.content.decode() and ">Role</a>" in bad.content.decode()
    assert not mail.outbox
    assert User.objects.filter(last_name="Newcomer").count() == 0


def test_role_change_and_deactivation_are_in_the_history_with_who_and_when(
    dana_client, dana, clinic, alice, client
):
    member = Membership.objects.get(user=alice, clinic=clinic)
    url = reverse("team_member", args=[clinic.pk, member.pk, "role"])
    assert dana_client.post(url, {"role": "clinic_admin"}).status_code == 302
    member.refresh_from_db()
    assert member.role == "clinic_admin"
    deactivate = reverse("team_member", args=[clinic.pk, member.pk, "deactivate"])
    assert dana_client.post(deactivate).status_code == 302
    alice.refresh_from_db()
    assert not alice.is_active
    assert not _logs_in(client, "alice", "pw")
    page = dana_client.get(reverse("team", args=[clinic.pk])).content.decode()
    changes = page.split('id="team-changes"')[1]
    assert "role changed to clinic admin" in changes and "account deactivated" in changes
    assert changes.count("Dana Boss") >= 2
    assert (
        dana_client.post(
            reverse("team_member", args=[clinic.pk, member.pk, "reactivate"])
        ).status_code
        == 302
    )
    assert _logs_in(client, "alice", "pw")
    assert (
        "account reactivated" in dana_client.get(reverse("team", args=[clinic.pk])).content.decode()
    )


def test_a_deactivated_users_open_session_ends(dana_client, clinic, alice, alice_client):
    member = Membership.objects.get(user=alice, clinic=clinic)
    dana_client.post(reverse("team_member", args=[clinic.pk, member.pk, "deactivate"]))
    response = alice_client.get(reverse("dashboard"))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


def test_cannot_deactivate_yourself_or_remove_the_last_clinic_admin(dana_client, dana, clinic):
    own = Membership.objects.get(user=dana, clinic=clinic)
    response = dana_client.post(reverse("team_member", args=[clinic.pk, own.pk, "deactivate"]))
    assert response.status_code == 400
    assert "your own account" in response.content.decode()
    demote = dana_client.post(
        reverse("team_member", args=[clinic.pk, own.pk, "role"]), {"role": "clinician"}
    )
    assert demote.status_code == 400 and "last clinic admin" in demote.content.decode()
    own.refresh_from_db()
    dana.refresh_from_db()
    assert own.role == "clinic_admin" and dana.is_active


def test_an_account_working_in_another_clinic_is_not_this_admins_to_close(
    dana_client, clinic, other_clinic, alice
):
    Membership.objects.create(user=alice, clinic=other_clinic)
    member = Membership.objects.get(user=alice, clinic=clinic)
    response = dana_client.post(reverse("team_member", args=[clinic.pk, member.pk, "deactivate"]))
    assert response.status_code == 400 and "another clinic" in response.content.decode()
    alice.refresh_from_db()
    assert alice.is_active


def test_clinicians_get_403_and_other_clinics_404(
    client, clinic, other_clinic, alice, charlie, dana
):
    member = Membership.objects.get(user=alice, clinic=clinic)
    client.force_login(alice)
    assert client.get(reverse("team", args=[clinic.pk])).status_code == 403
    assert (
        client.post(reverse("team_member", args=[clinic.pk, member.pk, "deactivate"])).status_code
        == 403
    )
    client.force_login(charlie)
    assert client.get(reverse("team", args=[clinic.pk])).status_code == 404
    # Charlie's own membership through clinic A's team URL, and clinic B's team for Dana.
    client.force_login(dana)
    charlies = Membership.objects.get(user=charlie)
    assert (
        client.post(reverse("team_member", args=[clinic.pk, charlies.pk, "deactivate"])).status_code
        == 404
    )
    assert client.get(reverse("team", args=[other_clinic.pk])).status_code == 404
    charlie.refresh_from_db()
    assert charlie.is_active


def test_the_menu_shows_team_to_clinic_admins_only(dana_client, clinic, alice_client):
    team = reverse("team", args=[clinic.pk])
    assert f'href="{team}"' in dana_client.get(reverse("dashboard")).content.decode()
    assert f'href="{team}"' not in alice_client.get(reverse("dashboard")).content.decode()


def test_logins_leave_no_account_history_but_the_password_hash_is_never_kept(alice, client):
    before = User.history.filter(id=alice.pk).count()
    assert _logs_in(client, "alice", "pw")
    assert User.history.filter(id=alice.pk).count() == before
    assert "password" not in {f.name for f in User.history.model._meta.fields}


def test_the_invitation_goes_again_until_a_password_is_chosen(dana_client, clinic, alice):
    _invite(dana_client, clinic)
    member = Membership.objects.get(user__username="pat.newcomer@example.com")
    again = reverse("team_member", args=[clinic.pk, member.pk, "invite-again"])
    assert dana_client.post(again).status_code == 302
    assert len(mail.outbox) == 2 and _link(mail.outbox[1])
    alices = Membership.objects.get(user=alice)
    refused = dana_client.post(reverse("team_member", args=[clinic.pk, alices.pk, "invite-again"]))
    assert refused.status_code == 400 and "already chosen a password" in refused.content.decode()
    assert len(mail.outbox) == 2
