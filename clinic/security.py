"""Middlewares that refuse NUL bytes, keep patient data out of caches, end sessions on time and
demand 2FA.

Each one is small on purpose; docs/security.md says which test proves each.
"""

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from clinic.two_factor import confirmed_device, two_factor_required

LOGIN_AT_SESSION_KEY = "_clinic_login_at"

# Pages a user who still owes a one-time code may open (by URL name, in any namespace).
TWO_FACTOR_EXEMPT_URL_NAMES = {"logout", "two_factor_setup", "two_factor_verify"}


def client_ip(request) -> str | None:
    """The client's address for login throttling.

    Without a proxy (DJANGO_TRUSTED_PROXY_COUNT=0) it is REMOTE_ADDR. Behind N trusted proxies
    that each append to X-Forwarded-For, it is the N-th address from the right: addresses
    further left were written by the client and prove nothing.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR")


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' lockout answer: how long to wait, and never the username typed."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "registration/lockout.html", context, status=429)


class RefuseNulMiddleware:
    """A NUL byte in the address or the query string is a 404 on every database.

    PostgreSQL cannot store or compare text holding NUL, so a search or a link token with one
    would fail there (a 500) while SQLite answers; no real address of this app contains one.
    Form posts are left to the forms, whose fields refuse NUL with an error naming the field.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            raise Http404("No such page.")
        return self.get_response(request)


class NoStoreMiddleware:
    """Every answer but a static file says no cache may keep it (browser, proxy, back button).

    WhiteNoise, above this middleware, serves static files without reaching it; the prefix
    check covers static files served any other way.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.static_prefix = urlsplit(settings.STATIC_URL).path

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path_info.startswith(self.static_prefix):
            # Cache-Control: max-age=0, no-cache, no-store, must-revalidate, private
            add_never_cache_headers(response)
        return response


@receiver(user_logged_in, dispatch_uid="clinic.security.stamp_login_time")
def stamp_login_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_SESSION_KEY] = time.time()


class SessionLifetimeMiddleware:
    """End a session SESSION_ABSOLUTE_MAX_AGE seconds after login, however busy it was.

    The idle limit is Django's own (SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST); this
    adds the absolute cap. The login time is stamped at login; a session without a stamp (one
    opened before this middleware existed) starts counting now.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            logged_in_at = request.session.get(LOGIN_AT_SESSION_KEY)
            if logged_in_at is None:
                request.session[LOGIN_AT_SESSION_KEY] = now
            elif now - logged_in_at > settings.SESSION_ABSOLUTE_MAX_AGE:
                logout(request)
                hours = settings.SESSION_ABSOLUTE_MAX_AGE // 3600
                messages.info(
                    request, f"Your session ended {hours} hours after you logged in. Log in again."
                )
        return self.get_response(request)


class TwoFactorMiddleware:
    """A user of a clinic that requires two-factor login passes a one-time code first.

    Until then every page but the code pages and logout redirects to enrolment (no device yet)
    or to the code prompt. Public pages (login, password reset, patient links) stay public.
    Sits after LoginRequiredMiddleware and django-otp's OTPMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not getattr(view_func, "login_required", True):
            return None
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.url_name in TWO_FACTOR_EXEMPT_URL_NAMES:
            return None
        if not two_factor_required(user=user):
            return None
        step = "two_factor_verify" if confirmed_device(user=user) else "two_factor_setup"
        return redirect_to_login(request.get_full_path(), reverse(step))
