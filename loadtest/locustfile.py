"""A clinician's day as load: dashboard, patient and history pages, draft edits, the live
differential panel, plan pages, PDF downloads and PDF issues, in the mix a PT produces (weights
below), as the demo clinician.

Run by ``loadtest/run.sh`` against nginx in front of the gunicorn instances, with production
settings (``DJANGO_DEBUG=false``). The ids to visit come from ``LOAD_TARGETS`` (written by
``loadtest/seed_extra.py``); each simulated user edits a draft of its own, so a version conflict
("Someone else saved this …") is counted as a failure, and issues a plan of its own.

A PDF issue is what a PT's browser does: post the issue form, then ask for the status every
2 s as the page's htmx does (200: still preparing; 204 with ``HX-Refresh``: done) until the task
worker has issued it, reload the plan page and download the new version. Besides each request,
the whole wait of each finished issue is written to ``LOAD_ISSUE_WAITS`` (seconds, JSON) for the
report, outside locust's table, whose "Aggregated" row it would swamp; an issue that fails is a
failed "PDF issue: asked → downloaded" in the table.

The app marks its cookies ``Secure`` (DEBUG off); the load test speaks plain HTTP on
127.0.0.1, so the client drops that flag from its own cookie jar before each request (the
server's settings stay as in production).
"""

import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, between, events, task

TARGETS = json.loads(open(os.environ["LOAD_TARGETS"], encoding="utf-8").read())  # noqa: SIM115
USERNAME = os.environ.get("LOAD_USERNAME", "demo.pt")
PASSWORD = os.environ.get("LOAD_PASSWORD", "hamstring-demo")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Session cookies of users logged in before the run (loadtest/sessions.py, which says why);
# without them each user logs in as it starts.
SESSIONS = (
    json.loads(open(os.environ["LOAD_SESSIONS"], encoding="utf-8").read())  # noqa: SIM115
    if os.environ.get("LOAD_SESSIONS")
    else []
)
VERSION = re.compile(r'name="version" value="(\d+)"')
DOCUMENT_LINK = re.compile(r'href="/documents/(\d+)/">Version (\d+)</a>')
# The message the status answer leaves for the reloaded plan page (rehab.views._issue_message).
ISSUED = re.compile(r"Version (\d+) issued\.")
STALE = "Someone else saved this"
# As the plan page's htmx (templates/rehab/includes/issue_status.html): every 2 s.
POLL_EVERY = 2.0
# The app's own limit (rehab.services.ISSUE_GIVEN_UP_AFTER): longer than any run, so a slow
# worker shows as the wait's figures and the open requests run.sh counts, not as errors.
ISSUE_GIVE_UP_AFTER = float(os.environ.get("LOAD_ISSUE_GIVE_UP_AFTER", "600"))
ISSUE_FLOW = "PDF issue: asked → downloaded"
_user_numbers = itertools.count()
# Seconds from the issue post to the downloaded PDF, for each issue that finished.
_issue_waits: list[float] = []


@events.quitting.add_listener
def _write_issue_waits(**_kwargs):
    if path := os.environ.get("LOAD_ISSUE_WAITS"):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(_issue_waits, handle)


def _form_fields(findings: dict) -> dict:
    fields: dict = {}
    for name, value in findings.items():
        fields[name] = [str(v) for v in value] if isinstance(value, list) else str(value)
    return fields


class Clinician(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self):
        number = next(_user_numbers)
        drafts = TARGETS["drafts"]
        self.draft = drafts[number % len(drafts)]
        self.plan = TARGETS["plans"][number % len(TARGETS["plans"])]
        if number < len(SESSIONS):
            for cookie in SESSIONS[number]:
                self.client.cookies.set(**cookie)
            return
        login = self.client.get("/login/", name="/login/")
        token = CSRF.search(login.text).group(1)
        self._plain_cookies()
        with self.client.post(
            "/login/",
            {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="/login/ [POST]",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login refused ({response.status_code})")

    def _plain_cookies(self):
        for cookie in self.client.cookies:
            cookie.secure = False

    def _get(self, url, *, name, check=None):
        """GET as the logged-in clinician: a redirect to the login page is a failure."""
        self._plain_cookies()
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code != 200 or "/login/" in response.url:
                response.failure(f"not served ({response.status_code} {response.url})")
            elif check is not None and (problem := check(response)):
                response.failure(problem)
        return response

    def _post(self, url, data, **kwargs):
        self._plain_cookies()
        data = {**data, "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", "")}
        return self.client.post(url, data, **kwargs)

    @task(8)
    def dashboard(self):
        self._get("/", name="dashboard")

    @task(8)
    def patient_page(self):
        patient = random.choice(TARGETS["patients"])  # noqa: S311
        self._get(f"/patients/{patient}/", name="patient page")

    @task(2)
    def patient_history(self):
        patient = random.choice(TARGETS["patients"])  # noqa: S311
        self._get(f"/patients/{patient}/history/", name="patient history")

    @task(4)
    def plan_page(self):
        self._get(f"/plans/{self.plan}/", name="plan page")

    @task(6)
    def differential_panel(self):
        patient = random.choice(TARGETS["patients"])  # noqa: S311
        findings = {**TARGETS["findings"], "pain_run_nrs": random.randint(0, 10)}  # noqa: S311
        with self._post(
            f"/patients/{patient}/assessments/preview/",
            {"assessed_on": "2026-11-26", "side": "left", **_form_fields(findings)},
            headers={"HX-Request": "true"},
            name="differential panel (htmx)",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 200 or "differential-panel" not in response.text:
                response.failure(f"no panel ({response.status_code})")

    @task(4)
    def save_draft(self):
        url = f"/assessments/{self.draft}/edit/"
        page = self._get(url, name="draft edit form")
        version = VERSION.search(page.text)
        if version is None:
            return
        findings = {**TARGETS["findings"], "pain_run_nrs": random.randint(0, 10)}  # noqa: S311
        data = {
            "assessed_on": "2026-11-26",
            "side": "left",
            "version": version.group(1),
            **_form_fields(findings),
        }
        with self._post(
            url, data, name="draft save", catch_response=True, allow_redirects=False
        ) as response:
            if response.status_code != 302:
                reason = "version conflict" if STALE in response.text else "not saved"
                response.failure(f"{reason} ({response.status_code})")

    @task(2)
    def pdf_download(self):
        document = random.choice(TARGETS["documents"])  # noqa: S311
        self._get(
            f"/documents/{document}/",
            name="issued PDF download",
            check=lambda r: None if r.content.startswith(b"%PDF") else "not a PDF",
        )

    @task(1)
    def pdf_issue(self):
        started = time.perf_counter()
        problem = self._issue_and_download()
        if problem is None:
            _issue_waits.append(time.perf_counter() - started)
            return
        self.environment.events.request.fire(
            request_type="FLOW",
            name=ISSUE_FLOW,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=Exception(problem),
            context={},
        )

    def _issue_and_download(self) -> str | None:
        """The PT's wait for a new version: the reason it failed, or None."""
        with self._post(
            f"/plans/{self.plan}/issue/",
            {},
            name="PDF issue [POST]",
            catch_response=True,
            allow_redirects=False,
        ) as response:
            if response.status_code != 302:
                response.failure(f"not accepted ({response.status_code})")
                return "issue not accepted"
        deadline = time.monotonic() + ISSUE_GIVE_UP_AFTER
        while True:
            time.sleep(POLL_EVERY)
            self._plain_cookies()
            with self.client.get(
                f"/plans/{self.plan}/issue/status/",
                headers={"HX-Request": "true"},
                name="PDF issue status (htmx poll)",
                catch_response=True,
                allow_redirects=False,
            ) as response:
                if response.status_code == 204 and response.headers.get("HX-Refresh") == "true":
                    break
                if response.status_code != 200 or "issue-status" not in response.text:
                    response.failure(f"unexpected answer ({response.status_code})")
                    return "status page failed"
            if time.monotonic() > deadline:
                return f"not ready after {ISSUE_GIVE_UP_AFTER:.0f} s"
        page = self._get(f"/plans/{self.plan}/", name="plan page")
        issued = ISSUED.search(page.text)
        documents = {version: pk for pk, version in DOCUMENT_LINK.findall(page.text)}
        if issued is None or issued.group(1) not in documents:
            return "the plan page shows no new version"
        download = self._get(
            f"/documents/{documents[issued.group(1)]}/",
            name="issued PDF download",
            check=lambda r: None if r.content.startswith(b"%PDF") else "not a PDF",
        )
        return None if download.ok else "download failed"
