"""PDF issue, link emails and the worsening digest run as tasks, off the request path (issue 16).

The suite's tasks run in the request (the immediate backend, ``config/settings_test.py``); the
tests marked ``queued`` switch to the database backend, the embedded default, and run the real
worker (``manage.py db_worker --batch``) on the test database.
"""

import datetime as dt
import hashlib
import io
import re
import shutil
import socket
import subprocess
import time

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult
from pypdf import PdfReader

from clinic.models import AccessEvent
from rehab import services
from rehab.documents import issued_document_bytes
from rehab.models import IssuedDocument, IssueRequest
from rehab.services import (
    ISSUE_ATTEMPTS,
    ISSUE_GIVEN_UP_AFTER,
    issue_request_create,
    session_log_create,
)
from tests.factories import PatientFactory, UserFactory
from tests.rehab_factories import plan_for

DATABASE_BACKEND = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
}
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice)


@pytest.fixture
def queued(settings):
    """Tasks wait in the database until a worker runs them, as under `make run`."""
    settings.TASKS = DATABASE_BACKEND


def _run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


def _page(client, plan) -> str:
    return client.get(plan.get_absolute_url()).content.decode()


# --- The PDF, issued by the worker -----------------------------------------------------------


@pytest.mark.pdf
@pytest.mark.django_db(transaction=True)
def test_the_pt_sees_preparing_then_the_worker_issues_the_pdf(alice_client, plan, queued):
    response = alice_client.post(reverse("plan_issue", args=[plan.pk]), {"large_print": "on"})
    assert response.status_code == 302
    # The request returned before any render: no document, one request and one task waiting.
    assert not IssuedDocument.objects.exists()
    issue_request = IssueRequest.objects.get()
    assert issue_request.status == IssueRequest.Status.WAITING
    assert issue_request.requested_by.username == "alice" and issue_request.large_print
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    page = _page(alice_client, plan)
    status_url = reverse("plan_issue_status", args=[plan.pk])
    assert "Preparing the PDF (large print)…" in page
    assert f'data-hx-get="{status_url}"' in page and 'data-hx-trigger="every 2s"' in page
    assert f'<a class="alert-link" href="{plan.get_absolute_url()}">Refresh</a>' in page
    polled = alice_client.get(status_url, **HTMX)
    assert polled.status_code == 200 and "Preparing the PDF" in polled.content.decode()
    assert "Rosa" not in polled.content.decode()  # the polled block names no one

    _run_worker()

    document = IssuedDocument.objects.get()
    issue_request.refresh_from_db()
    assert issue_request.status == IssueRequest.Status.DONE
    assert issue_request.document == document and issue_request.attempts == 1
    assert document.large_print and document.issued_by.username == "alice"
    assert document.sha256 == hashlib.sha256(issued_document_bytes(document)).hexdigest()
    assert (
        document.link_sha256
        == hashlib.sha256(issued_document_bytes(document, "link_pdf")).hexdigest()
    )
    text = PdfReader(io.BytesIO(issued_document_bytes(document))).pages[0].extract_text()
    assert "Rosa" in text
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    # The next poll reloads the page, which lists the new version and polls no more.
    done = alice_client.get(status_url, **HTMX)
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    page = _page(alice_client, plan)
    assert "Version 1 issued." in page
    assert 'id="issue-status"' not in page
    assert reverse("document_download", args=[document.pk]) in page
    # Without htmx, the status address is the plan page.
    assert alice_client.get(status_url).url == plan.get_absolute_url()


@pytest.mark.django_db(transaction=True)
def test_a_double_click_makes_one_request_and_one_task(alice_client, plan, queued):
    for _ in range(2):
        alice_client.post(reverse("plan_issue", args=[plan.pk]))
    assert IssueRequest.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_render_that_keeps_failing_is_retried_then_shown_with_a_plain_reason(
    alice_client, plan, queued, monkeypatch
):
    renders = []

    def broken_render(**kwargs):
        renders.append(kwargs)
        raise OSError("font cache unreadable")

    monkeypatch.setattr(services, "render_plan_pdf", broken_render)
    monkeypatch.setattr(services, "ISSUE_RETRY_AFTER", dt.timedelta(0))
    alice_client.post(reverse("plan_issue", args=[plan.pk]))
    _run_worker()  # runs the first try and each retry it queues, until none is left

    issue_request = IssueRequest.objects.get()
    assert len(renders) == ISSUE_ATTEMPTS == issue_request.attempts
    assert issue_request.status == IssueRequest.Status.FAILED
    assert f"could not be made after {ISSUE_ATTEMPTS} tries, so nothing was issued" in (
        issue_request.reason
    )
    assert "font cache" not in issue_request.reason  # the log has the technical detail
    assert not IssuedDocument.objects.exists()
    assert DBTaskResult.objects.count() == ISSUE_ATTEMPTS
    page = _page(alice_client, plan)
    assert escape(issue_request.reason) in page and "data-hx-get" not in page
    # Asking again starts afresh.
    monkeypatch.undo()
    alice_client.post(reverse("plan_issue", args=[plan.pk]))
    assert IssueRequest.objects.filter(status=IssueRequest.Status.WAITING).count() == 1


@pytest.mark.pdf
def test_a_failed_try_is_followed_by_one_that_issues(alice_client, plan, monkeypatch):
    real_render = services.render_plan_pdf
    calls = []

    def flaky_render(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OSError("out of memory")
        return real_render(**kwargs)

    monkeypatch.setattr(services, "render_plan_pdf", flaky_render)
    response = alice_client.post(reverse("plan_issue", args=[plan.pk]), follow=True)
    assert "Version 1 issued." in response.content.decode()
    issue_request = IssueRequest.objects.get()
    assert issue_request.attempts == 2 and issue_request.status == IssueRequest.Status.DONE
    assert IssuedDocument.objects.get().version == 1


def test_nothing_is_half_issued_when_saving_fails_after_the_render(
    alice_client, alice, plan, monkeypatch
):
    monkeypatch.setattr(services, "render_plan_pdf", lambda **kwargs: b"%PDF-1.4 rendered")
    finish = services._issue_request_finish

    def fails_when_done(issue_request, *, status, **kwargs):
        if status == IssueRequest.Status.DONE:
            raise RuntimeError("disk full")
        return finish(issue_request, status=status, **kwargs)

    monkeypatch.setattr(services, "_issue_request_finish", fails_when_done)
    issue_request = issue_request_create(plan=plan, clinician=alice)
    issue_request.refresh_from_db()
    # The document was written inside the transaction that failed: it is gone with it.
    assert not IssuedDocument.objects.exists()
    assert issue_request.status == IssueRequest.Status.FAILED
    assert issue_request.attempts == ISSUE_ATTEMPTS


def test_a_request_no_worker_took_is_given_up_and_can_be_asked_again(
    alice_client, alice, plan, settings
):
    settings.TASKS = DATABASE_BACKEND
    stuck = issue_request_create(plan=plan, clinician=alice)
    IssueRequest.objects.filter(pk=stuck.pk).update(
        requested_at=timezone.now() - ISSUE_GIVEN_UP_AFTER
    )
    page = _page(alice_client, plan)
    assert "still not ready after 10 minutes: the task worker may not be running" in page
    alice_client.post(reverse("plan_issue", args=[plan.pk]))
    stuck.refresh_from_db()
    assert stuck.status == IssueRequest.Status.FAILED
    assert "No task worker prepared the PDF within 10 minutes" in stuck.reason
    assert plan.issue_requests.filter(status=IssueRequest.Status.WAITING).count() == 1


def test_an_unreachable_queue_is_said_at_once(alice_client, plan, settings):
    """RQ with its Redis down (nothing listens on port 1): the PT is told, nothing waits."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    response = alice_client.post(reverse("plan_issue", args=[plan.pk]), follow=True)
    assert "The task queue could not be reached, so nothing was issued." in (
        response.content.decode()
    )
    assert IssueRequest.objects.get().status == IssueRequest.Status.FAILED


def test_another_clinics_pt_cannot_poll_the_status(client, charlie, alice, plan):
    issue_request_create(plan=plan, clinician=alice)
    client.force_login(charlie)
    response = client.get(reverse("plan_issue_status", args=[plan.pk]), **HTMX)
    assert response.status_code == 404


# --- Production's other backend: RQ on Redis ---------------------------------------------------


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway Redis server on a free loopback port (Debian's redis-server)."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("no redis-server: apt-get install redis-server (.ci/run does)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(  # noqa: S603
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", tmp_path],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.pdf
@pytest.mark.django_db(transaction=True)
def test_rq_on_redis_issues_the_pdf_through_an_rq_worker(alice_client, plan, settings, redis_url):
    import django_rq
    from django_tasks_rq import Job
    from rq import SimpleWorker

    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    alice_client.post(reverse("plan_issue", args=[plan.pk]))
    assert not IssuedDocument.objects.exists()
    queue = django_rq.get_queue("default")
    assert queue.count == 1
    # What `manage.py rqworker --job-class django_tasks_rq.Job` runs, in this process.
    SimpleWorker([queue], connection=queue.connection, job_class=Job).work(burst=True)
    issue_request = IssueRequest.objects.get()
    assert issue_request.status == IssueRequest.Status.DONE
    document = issue_request.document
    assert document.sha256 == hashlib.sha256(issued_document_bytes(document)).hexdigest()


# --- The link email --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_link_email_is_sent_by_the_worker(alice_client, plan, queued):
    plan.patient.email = "rosa@example.com"
    plan.patient.save()
    response = alice_client.post(
        reverse("patient_link_action", args=[plan.pk, "email"]), follow=True
    )
    assert "The link is on its way by email to rosa@example.com." in response.content.decode()
    assert mail.outbox == []
    _run_worker()
    (email,) = mail.outbox
    assert email.to == ["rosa@example.com"] and plan.patient_link.token in email.body


def test_a_patient_without_an_address_is_refused_before_anything_is_queued(alice_client, plan):
    response = alice_client.post(
        reverse("patient_link_action", args=[plan.pk, "email"]), follow=True
    )
    assert "This patient has no email address on record." in response.content.decode()
    assert mail.outbox == []


def test_a_failed_send_is_tried_again(alice_client, plan, monkeypatch):
    plan.patient.email = "rosa@example.com"
    plan.patient.save()
    real_send = services.send_mail
    sends = []

    def flaky_send(**kwargs):
        sends.append(kwargs)
        if len(sends) == 1:
            raise ConnectionRefusedError("smtp down")
        return real_send(**kwargs)

    monkeypatch.setattr(services, "send_mail", flaky_send)
    alice_client.post(reverse("patient_link_action", args=[plan.pk, "email"]))
    assert len(sends) == 2 and len(mail.outbox) == 1


# --- The daily digest of worsening alerts ----------------------------------------------------


def _worsening(plan):
    today = timezone.localdate()
    for days_ago in (2, 1):
        session_log_create(
            plan=plan,
            session_date=today - dt.timedelta(days=days_ago),
            exercise_pain=2,
            next_morning="worse",
        )


def test_each_pt_gets_one_email_with_their_clinics_alerts_and_no_names(
    clinic, other_clinic, alice, charlie, plan
):
    alice.email, charlie.email = "alice@example.com", "charlie@example.com"
    alice.save()
    charlie.save()
    UserFactory(clinic=clinic, email="", username="no-address")
    quiet = PatientFactory(clinic=clinic, first_name="Quinn", last_name="Quiet")
    plan_for(patient=quiet, clinician=alice)  # no alert: not in the email
    travelling = PatientFactory(clinic=clinic, first_name="Tara", last_name="Travel")
    session_log_create(
        plan=plan_for(patient=travelling, clinician=alice),
        session_date=timezone.localdate(),
        exercise_pain=3,
        next_morning="same",
        pain_travelled_down_leg=True,
    )
    _worsening(plan)
    plan_for(patient=PatientFactory(clinic=other_clinic), clinician=charlie)  # no alert there

    call_command("send_worsening_digests", "--base-url", "https://clinic.example.org/")

    (email,) = mail.outbox  # not charlie (no alert in his clinic), not the PT without an address
    assert email.to == ["alice@example.com"]
    assert email.subject == "Worsening reported by 2 runners"
    body = email.body
    assert f"record {plan.patient.record_number}: next morning worse 2 times" in body
    assert f"record {travelling.record_number}: pain travelled down the leg" in body
    assert f"https://clinic.example.org{plan.get_absolute_url()}" in body
    assert quiet.record_number not in body
    for name in ("Rosa", "Runner", "Tara", "Travel", "Quinn", "Quiet"):
        assert not re.search(rf"\b{name}\b", f"{email.subject}\n{body}")
    # A disclosure all the same: each record the email names is in its access record, for alice.
    named = AccessEvent.objects.filter(what=AccessEvent.What.DIGEST)
    assert sorted(named.values_list("patient_id", "user_id", "object_id")) == sorted(
        [
            (plan.patient_id, alice.pk, plan.pk),
            (travelling.pk, alice.pk, travelling.plans.get().pk),
        ]
    )


def test_a_digest_that_fails_to_send_records_nothing(alice, plan, monkeypatch):
    alice.email = "alice@example.com"
    alice.save()
    _worsening(plan)

    def refused(**kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(services, "send_mail", refused)
    with pytest.raises(ConnectionRefusedError):
        services.worsening_digest_send(clinician=alice, base_url="https://clinic.example.org")
    assert not AccessEvent.objects.filter(what=AccessEvent.What.DIGEST).exists()


@pytest.mark.django_db(transaction=True)
def test_the_digest_command_queues_one_task_per_pt_for_the_worker(
    clinic, alice, bob, plan, queued, capsys
):
    alice.email, bob.email = "alice@example.com", "bob@example.com"
    alice.save()
    bob.save()
    _worsening(plan)
    call_command("send_worsening_digests", "--base-url", "https://clinic.example.org")
    assert "Queued the worsening digest for 2 clinician(s)." in capsys.readouterr().out
    assert DBTaskResult.objects.count() == 2 and mail.outbox == []
    _run_worker()
    assert sorted(email.to[0] for email in mail.outbox) == ["alice@example.com", "bob@example.com"]


def test_the_digest_needs_the_apps_address(alice, settings):
    settings.PATIENT_LINK_BASE_URL = ""
    with pytest.raises(CommandError, match="--base-url"):
        call_command("send_worsening_digests")
