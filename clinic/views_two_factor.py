"""The one-time-code step of login: enrol an authenticator app, or type its current code."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login

from clinic.two_factor import (
    confirmed_device,
    device_confirm,
    device_verify,
    enrolment_device,
    manual_key,
    qr_svg,
)


class TokenForm(forms.Form):
    token = forms.RegexField(
        label="Six-digit code from your authenticator app",
        regex=r"^\s*\d{6,8}\s*$",
        max_length=12,
        error_messages={"invalid": "Type the six digits your app shows, without spaces."},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "size": 8,
            }
        ),
    )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _passed(request, device):
    otp_login(request, device)
    # A new session key once the second factor is in, as at the password step.
    request.session.cycle_key()
    return redirect(_next_url(request))


def two_factor_setup(request):
    """Show the QR code of a new device; the first correct code confirms it."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    if confirmed_device(user=request.user):
        # Enrolment happens once: a second device needs an administrator to remove the first.
        return redirect_to_login(_next_url(request), reverse("two_factor_verify"))
    device = enrolment_device(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, message = device_verify(device=device, token=form.cleaned_data["token"].strip())
        if ok:
            device_confirm(device=device)
            messages.success(request, "Two-factor login is set up for your account.")
            return _passed(request, device)
        form.add_error("token", message)
    context = {
        "form": form,
        "qr_svg": qr_svg(device),
        "manual_key": manual_key(device),
        "next": _next_url(request),
    }
    return render(request, "two_factor/setup.html", context, status=400 if form.errors else 200)


def two_factor_verify(request):
    """Ask for the current code of the user's confirmed device."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    device = confirmed_device(user=request.user)
    if device is None:
        return redirect_to_login(_next_url(request), reverse("two_factor_setup"))
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ok, message = device_verify(device=device, token=form.cleaned_data["token"].strip())
        if ok:
            return _passed(request, device)
        form.add_error("token", message)
    context = {"form": form, "next": _next_url(request)}
    return render(request, "two_factor/verify.html", context, status=400 if form.errors else 200)
