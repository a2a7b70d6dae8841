from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from clinic import services
from clinic.forms import InviteForm, PatientForm, RoleForm
from clinic.health import health_response
from clinic.integrity import StaleVersionError
from clinic.models import Membership
from clinic.selectors import (
    get_patient_for_user,
    get_team_clinic_for_admin,
    get_team_member,
    team_changes,
    team_clinics,
    team_members,
)
from clinic.services import patient_update
from clinic.submissions import once_per_submission, submission_made


@once_per_submission
def patient_create(request):
    form = PatientForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        details = form.details()
        patient = services.patient_create(clinic=details.pop("clinic"), details=details)
        submission_made(request, patient)
        messages.success(request, f"{patient.full_name} added.")
        return redirect(patient)
    return render(request, "clinic/patient_form.html", {"form": form})


def patient_edit(request, pk):
    patient = get_patient_for_user(user=request.user, pk=pk)
    form = PatientForm(request.POST or None, instance=patient, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            patient_update(patient=form.instance, details=form.details())
        except StaleVersionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "Patient details saved.")
            return redirect(patient)
    return render(request, "clinic/patient_form.html", {"form": form, "patient": patient})


def _team_page(request, clinic, *, invite_form=None, member_errors=None, status=200):
    return render(
        request,
        "clinic/team.html",
        {
            "clinic": clinic,
            "members": team_members(clinic=clinic),
            "invite_form": invite_form or InviteForm(),
            "roles": Membership.Role.choices,
            "member_errors": member_errors or {},
            "changes": team_changes(clinic=clinic),
            "other_teams": team_clinics(user=request.user).exclude(pk=clinic.pk),
        },
        status=status,
    )


def team(request, pk):
    """The clinic's team for its clinic admins: who works here, invitations and the changes."""
    clinic = get_team_clinic_for_admin(user=request.user, pk=pk)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.member_invite(
                clinic=clinic,
                site_url=request.build_absolute_uri("/"),
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"{membership.user.get_full_name()} is invited: the link is on its way."
            )
            return redirect("team", pk=clinic.pk)
    return _team_page(request, clinic, invite_form=form, status=400 if form.errors else 200)


@require_POST
def team_member(request, clinic_pk, pk, action):
    """One change to a member: their role, deactivate, reactivate, or the invitation again."""
    clinic = get_team_clinic_for_admin(user=request.user, pk=clinic_pk)
    membership = get_team_member(clinic=clinic, pk=pk)
    name = membership.user.get_full_name() or membership.user.get_username()
    try:
        if action == "role":
            form = RoleForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Choose clinician or clinic admin.")
            services.membership_change_role(membership=membership, role=form.cleaned_data["role"])
            done = f"{name} is now {membership.get_role_display().lower()}."
        elif action in ("deactivate", "reactivate"):
            active = action == "reactivate"
            services.member_set_active(membership=membership, active=active, by=request.user)
            done = f"{name}'s account is {'active again' if active else 'deactivated'}."
        elif action == "invite-again":
            if membership.user.has_usable_password():
                raise ValidationError(f"{name} has already chosen a password.")
            services.invitation_send(
                membership=membership, site_url=request.build_absolute_uri("/")
            )
            done = f"The invitation is sent to {name} again."
        else:
            raise Http404
    except ValidationError as error:
        return _team_page(
            request, clinic, member_errors={membership.pk: " ".join(error.messages)}, status=400
        )
    messages.success(request, done)
    return redirect("team", pk=clinic.pk)


@login_not_required
@require_safe
def health(request):
    """For the load balancer: the one page without login (it shows no patient data)."""
    return health_response()
