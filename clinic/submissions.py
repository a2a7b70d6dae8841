"""Create forms act once per form shown, whatever the browser sends twice.

Each create form carries a one-time ``submission_key``. The view runs inside a transaction
that first claims the key; a second post of the same key (a double click arriving while the
first is still running, or Back and resend later) waits for the first to finish and is then
redirected to what it made. A post that made nothing (the form had errors) frees its key, so
the corrected form can be sent again.
"""

import uuid
from datetime import timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.html import format_html

from clinic.models import FormSubmission

SUBMISSION_KEY = "submission_key"
KEPT_FOR = timedelta(days=7)


def submission_key_field() -> forms.UUIDField:
    """The hidden field a create form adds (put ``submission_key`` in its crispy layout)."""
    return forms.UUIDField(widget=forms.HiddenInput, required=False, initial=uuid.uuid4)


def submission_key_input() -> str:
    """The hidden input for a plain HTML form (a single button that creates something)."""
    return format_html('<input type="hidden" name="{}" value="{}">', SUBMISSION_KEY, uuid.uuid4())


def _posted_key(request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.POST.get(SUBMISSION_KEY, ""))
    except ValueError:
        return None


def submission_made(request, record) -> None:
    """Tell the guard what this post made, so a repeat of it is sent there."""
    submission = getattr(request, "form_submission", None)
    if submission is not None:
        submission.result_url = record.get_absolute_url()
        submission.save(update_fields=["result_url"])


def once_per_submission(view):
    """Decorate a create view: a repeated post of the same form is sent to the first result.

    A post without a key (a script, a test client) runs unguarded, as before.
    """

    @wraps(view)
    def guarded(request, *args, **kwargs):
        key = _posted_key(request) if request.method == "POST" else None
        if key is None:
            return view(request, *args, **kwargs)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    submission = FormSubmission.objects.create(key=key, user=request.user)
            except IntegrityError:
                earlier = FormSubmission.objects.filter(key=key, user=request.user).first()
                if earlier is None:
                    return HttpResponseBadRequest("This form belongs to another session.")
                messages.info(request, "That form was already sent: here is what it saved.")
                return redirect(earlier.result_url)
            request.form_submission = submission
            response = view(request, *args, **kwargs)
            if not submission.result_url:
                submission.delete()
            else:  # a key only matters while its page can still be resent
                FormSubmission.objects.filter(
                    user=request.user, at__lt=timezone.now() - KEPT_FOR
                ).delete()
        return response

    return guarded
