"""A clinician's day as load: dashboard, patient pages, draft edits, the live differential panel
and PDF downloads, in the mix a PT produces (weights below), as the demo clinician.

Run by ``loadtest/run.sh`` against gunicorn on loopback with production settings
(``DJANGO_DEBUG=false``). The ids to visit come from ``LOAD_TARGETS`` (written by
``loadtest/seed_extra.py``); each simulated user edits a draft of its own, so a version conflict
("Someone else saved this …") is counted as a failure.

The app marks its cookies ``Secure`` (DEBUG off); the load test speaks plain HTTP on
127.0.0.1, so the client drops that flag from its own cookie jar before each request (the
server's settings stay as in production).
"""

import itertools
import json
import os
import random
import re

from locust import HttpUser, between, task

TARGETS = json.loads(open(os.environ["LOAD_TARGETS"], encoding="utf-8").read())  # noqa: SIM115
USERNAME = os.environ.get("LOAD_USERNAME", "demo.pt")
PASSWORD = os.environ.get("LOAD_PASSWORD", "hamstring-demo")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
STALE = "Someone else saved this"
_user_numbers = itertools.count()


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

    @task(4)
    def dashboard(self):
        self._get("/", name="dashboard")

    @task(4)
    def patient_page(self):
        patient = random.choice(TARGETS["patients"])  # noqa: S311
        self._get(f"/patients/{patient}/", name="patient page")

    @task(3)
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

    @task(2)
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

    @task(1)
    def pdf_download(self):
        document = random.choice(TARGETS["documents"])  # noqa: S311
        self._get(
            f"/documents/{document}/",
            name="issued PDF download",
            check=lambda r: None if r.content.startswith(b"%PDF") else "not a PDF",
        )
