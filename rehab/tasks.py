"""Work done off the request path by a task worker (django-tasks; Django 6's ``django.tasks``).

Each task takes primary keys and plain strings (they are stored as JSON until a worker runs
them) and calls one service, where the work and its transaction live. Which backend runs them
is the ``TASKS`` setting (``DJANGO_TASKS_BACKEND``: the database with ``manage.py db_worker``,
RQ on Redis, or at once in the request).
"""

import logging

from django.contrib.auth import get_user_model
from django_tasks import task

from rehab import services
from rehab.models import Plan

logger = logging.getLogger(__name__)

# A failed email is sent again this many times in all; the PT was told it is on its way.
EMAIL_ATTEMPTS = 3


@task()
def issue_plan_pdf(*, issue_request_pk: int) -> str:
    """Render and issue the PDF a PT asked for (tried again on failure, ``ISSUE_ATTEMPTS``)."""
    return services.issue_request_run(issue_request_pk=issue_request_pk).status


@task()
def email_patient_link(*, plan_pk: int, base_url: str = "", attempt: int = 1) -> str:
    """Email the plan's link to the patient's address on record."""
    plan = Plan.objects.select_related("patient__clinic", "patient_link").get(pk=plan_pk)
    try:
        services.patient_link_email_send(plan=plan, base_url=base_url)
    except Exception:
        if attempt >= EMAIL_ATTEMPTS:
            raise  # the task result keeps the error for whoever runs the worker
        logger.exception("Link email for plan %s failed (try %s); trying again", plan_pk, attempt)
        email_patient_link.enqueue(plan_pk=plan_pk, base_url=base_url, attempt=attempt + 1)
        return "retrying"
    return "sent"


@task()
def send_worsening_digest(*, user_pk: int, base_url: str) -> int:
    """One PT's daily email of the plans whose runners reported worsening."""
    clinician = get_user_model().objects.get(pk=user_pk)
    return services.worsening_digest_send(clinician=clinician, base_url=base_url)
