"""Changes to who works where, and to a clinic's settings, are attributable like clinical ones."""

from clinic.models import Membership


def test_a_role_change_is_kept_with_who_made_it(alice, bob):
    membership = Membership.objects.get(user=bob)
    membership.role = Membership.Role.CLINIC_ADMIN
    membership._history_user = alice
    membership.save()
    latest = membership.history.first()
    assert (latest.history_type, latest.role, latest.history_user) == ("~", "clinic_admin", alice)
    assert membership.history.last().role == Membership.Role.CLINICIAN


def test_a_clinic_setting_change_is_kept_with_who_made_it(clinic, alice):
    clinic.require_two_factor = True
    clinic._history_user = alice
    clinic.save()
    latest = clinic.history.first()
    assert (latest.require_two_factor, latest.history_user) == (True, alice)
