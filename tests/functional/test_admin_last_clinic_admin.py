"""The Django admin keeps the team page's rule: no change leaves a clinic without an active
clinic admin (a role, a membership's account, a deletion, a deactivated account), and nobody
deactivates their own account. The refusal names the field; nothing is saved.

Cast: Dana administers Riverside (and Northside); Alice is a Riverside clinician; Charlie
administers Hilltop and tries Riverside's rows through the admin.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from clinic.models import Membership
from tests.admin_forms import form_data
from tests.factories import ClinicFactory, UserFactory

User = get_user_model()
ADMIN, CLINICIAN = Membership.Role.CLINIC_ADMIN, Membership.Role.CLINICIAN


def _staff(user):
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="clinic"))
    return user


@pytest.fixture
def dana(clinic):
    return _staff(UserFactory(username="dana", clinic=clinic, clinic__role="clinic_admin"))


@pytest.fixture
def dana_client(dana):
    client = Client()
    client.force_login(dana)
    return client


@pytest.fixture
def own(dana, clinic):
    """Dana's membership of Riverside: its only clinic admin."""
    return Membership.objects.get(user=dana, clinic=clinic)


def _url(obj, action):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{action}", args=[obj.pk])


def _post_change(client, obj, **changes):
    data = form_data(client.get(_url(obj, "change")).content.decode())
    data.update({name: [str(value)] for name, value in changes.items()})
    return client.post(_url(obj, "change"), data)


def _errors(response):
    assert response.status_code == 200, response.status_code
    return response.context["adminform"].form.errors


def _messages(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_demoting_the_last_clinic_admin_is_refused_on_role(dana_client, own):
    errors = _errors(_post_change(dana_client, own, role=CLINICIAN))
    assert "last clinic admin of Riverside" in " ".join(errors["role"])
    own.refresh_from_db()
    assert own.role == ADMIN


def test_with_another_active_admin_the_demotion_is_saved(dana_client, own, alice, clinic):
    Membership.objects.filter(user=alice, clinic=clinic).update(role=ADMIN)
    response = _post_change(dana_client, own, role=CLINICIAN)
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.role == CLINICIAN


def test_a_deactivated_colleague_does_not_count_as_the_other_admin(dana_client, own, alice, clinic):
    Membership.objects.filter(user=alice, clinic=clinic).update(role=ADMIN)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert "role" in _errors(_post_change(dana_client, own, role=CLINICIAN))


def test_handing_the_last_admin_membership_to_a_closed_account_is_refused_on_user(
    dana_client, dana, own
):
    northside = ClinicFactory(name="Northside")
    Membership.objects.create(user=dana, clinic=northside, role=ADMIN)
    gone = UserFactory(username="gone", clinic=northside, is_active=False)
    errors = _errors(_post_change(dana_client, own, user=gone.pk))
    assert "last clinic admin of Riverside" in " ".join(errors["user"])
    own.refresh_from_db()
    assert own.user == dana


def test_deleting_the_last_admin_membership_is_refused_with_the_reason(dana_client, own):
    for method in ("get", "post"):
        response = getattr(dana_client, method)(_url(own, "delete"), {"post": "yes"})
        assert response.status_code == 302 and response.url == _url(own, "change"), method
        assert "last clinic admin of Riverside" in _messages(response)
    assert Membership.objects.filter(pk=own.pk).exists()


def test_the_lists_delete_action_is_refused_for_the_last_admin_and_deletes_the_rest(
    dana_client, own, alice, clinic
):
    alices = Membership.objects.get(user=alice, clinic=clinic)
    changelist = reverse("admin:clinic_membership_changelist")
    action = {"action": "delete_selected", "post": "yes"}
    response = dana_client.post(changelist, {**action, "_selected_action": [own.pk, alices.pk]})
    assert response.status_code == 302
    assert "last clinic admin of Riverside" in _messages(response)
    assert Membership.objects.filter(pk__in=[own.pk, alices.pk]).count() == 2
    dana_client.post(changelist, {**action, "_selected_action": [alices.pk]})
    assert not Membership.objects.filter(pk=alices.pk).exists()


@pytest.fixture
def root_client(admin_client, admin_user):
    return admin_client, admin_user


def test_the_user_admin_refuses_closing_a_clinics_last_admin_on_active(root_client, dana):
    client, _ = root_client
    errors = _errors(_post_change(client, dana, is_active=""))
    assert "last clinic admin of Riverside" in " ".join(errors["is_active"])
    dana.refresh_from_db()
    assert dana.is_active


def test_the_user_admin_refuses_closing_your_own_account_and_deleting_a_last_admin(
    root_client, dana
):
    client, root = root_client
    assert "your own account" in " ".join(
        _errors(_post_change(client, root, is_active=""))["is_active"]
    )
    response = client.post(_url(dana, "delete"), {"post": "yes"})
    assert response.status_code == 302 and "last clinic admin" in _messages(response)
    assert User.objects.filter(pk=dana.pk, is_active=True).exists()


# --- Another clinic's admin ------------------------------------------------------------------


@pytest.fixture
def charlie_client(charlie, other_clinic):
    Membership.objects.filter(user=charlie, clinic=other_clinic).update(role=ADMIN)
    client = Client()
    client.force_login(_staff(charlie))
    return client


def test_another_clinics_admin_cannot_see_change_or_delete_this_clinics_memberships(
    charlie_client, own, alice, clinic
):
    alices = Membership.objects.get(user=alice, clinic=clinic)
    listing = charlie_client.get(reverse("admin:clinic_membership_changelist"))
    assert listing.status_code == 200 and "Riverside" not in listing.content.decode()
    for membership in (own, alices):
        for method, action in (("get", "change"), ("post", "change"), ("post", "delete")):
            response = getattr(charlie_client, method)(
                _url(membership, action), {"role": CLINICIAN, "post": "yes"}
            )
            # The admin's answer for a row outside its queryset: "does not exist", to the index.
            assert response.status_code == 302 and response.url == reverse("admin:index")
    charlie_client.post(
        reverse("admin:clinic_membership_changelist"),
        {"action": "delete_selected", "post": "yes", "_selected_action": [own.pk, alices.pk]},
    )
    assert set(Membership.objects.filter(clinic=clinic).values_list("pk", "role")) == {
        (own.pk, ADMIN),
        (alices.pk, CLINICIAN),
    }
