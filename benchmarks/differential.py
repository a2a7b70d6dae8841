"""How fast the differential is: in-process ranking, and the live htmx panel over HTTP.

Run from the project root (it makes its own in-memory SQLite test database, then drops it):

    .venv/bin/python benchmarks/differential.py            # full run, about half a minute
    .venv/bin/python benchmarks/differential.py --quick    # fewer repetitions, a smoke test

Figures, all measured in the same run:

1. ``rank()`` per case, in-process, over the dev vignettes: mean, median and p95.
2. The panel (POST to ``assessment_preview`` with a vignette's form fields, as htmx sends
   them) against a trivial view that answers "ok" behind the same middleware (sessions,
   CSRF, login required, two-factor, ...): median per request and the ratio. The issue's
   target is a ratio of at most 2.
3. Where the panel's time goes, in-process: the patient access check, binding and validating
   the form, ranking, contract output, rendering the panel template.

Not a test: timings depend on the machine; nothing here fails a build.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
os.environ["DATABASE_URL"] = "sqlite://:memory:"  # never touch a configured database

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from assessments.differential import rank, ranking_to_contract  # noqa: E402
from assessments.differential.panel import PanelView, panel_view  # noqa: E402
from assessments.forms import NONE_OF_THESE, preview_findings  # noqa: E402
from assessments.services import findings_ranking  # noqa: E402
from assessments.vocabulary import load_vocabulary  # noqa: E402
from benchmarks.trivial import TRIVIAL_URL, URLCONF  # noqa: E402

DEV = ROOT / "assessments" / "vignettes" / "dev.json"


def vignettes() -> list[dict[str, Any]]:
    return json.loads(DEV.read_text(encoding="utf-8"))


def form_fields(findings: dict[str, Any]) -> list[tuple[str, str]]:
    """The assessment form's fields as the browser sends them (hx-include of the whole form).

    Unanswered radios send "" ("Not asked" / "Not tested" is checked); unticked checkboxes
    send nothing; booleans are "True"/"False"; an empty set is "None of these".
    """
    pairs = [
        ("csrfmiddlewaretoken", "x" * 64),
        ("assessed_on", dt.date(2026, 11, 20).isoformat()),
        ("side", "right"),
    ]
    for field in load_vocabulary().fields:
        value = findings.get(field.name)
        if field.type == "set":
            members = [NONE_OF_THESE] if value == [] else list(value or [])
            pairs += [(field.name, member) for member in members]
        elif value is None:
            pairs.append((field.name, ""))
        else:
            pairs.append((field.name, str(value)))  # True -> "True", 34 -> "34"
    return pairs


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def bench_rank(repetitions: int) -> None:
    cases = [v["findings"] for v in vignettes()]
    for findings in cases:  # warm the knowledge, vocabulary and caches
        rank(findings)
    times = [timed(lambda f=f: rank(f)) for _ in range(repetitions) for f in cases]
    us = [t * 1e6 for t in times]
    print(f"1. rank() per case, in-process ({len(cases)} dev vignettes x {repetitions}):")
    print(
        f"   mean {statistics.mean(us):.0f} us   median {statistics.median(us):.0f} us"
        f"   p95 {p95(us):.0f} us"
    )


def make_user_and_patient() -> tuple[Any, Any]:
    from django.contrib.auth import get_user_model

    from clinic.models import Clinic, Membership, Patient

    clinic = Clinic.objects.create(name="Bench clinic")
    user = get_user_model().objects.create_user("bench")  # force_login: no password needed
    Membership.objects.create(user=user, clinic=clinic)
    patient = Patient.objects.create(
        clinic=clinic,
        first_name="Rosa",
        last_name="Runner",
        date_of_birth=dt.date(1988, 4, 2),
        sex="female",
        record_number="B0001",
    )
    return user, patient


def bench_http(repetitions: int, user: Any, patient: Any) -> None:
    client = Client()
    client.force_login(user)
    panel_url = reverse("assessment_preview", args=[patient.pk])
    bodies = [urlencode(form_fields(v["findings"])) for v in vignettes()]
    form_type = "application/x-www-form-urlencoded"  # what htmx sends
    htmx = {"HTTP_HX_REQUEST": "true"}

    def panel(body: str) -> None:
        response = client.post(panel_url, body, content_type=form_type, **htmx)
        assert response.status_code == 200, response.status_code  # noqa: S101
        assert b'id="differential-panel"' in response.content  # noqa: S101

    def trivial_get() -> None:
        response = client.get(TRIVIAL_URL, **htmx)
        assert response.content == b"ok", response.status_code  # noqa: S101

    def trivial_post(body: str) -> None:
        response = client.post(TRIVIAL_URL, body, content_type=form_type, **htmx)
        assert response.content == b"ok", response.status_code  # noqa: S101

    anonymous = Client().get(TRIVIAL_URL)
    assert anonymous.status_code == 302, "the trivial view must sit behind login"  # noqa: S101

    for body in bodies * 2:  # warm-up: templates, URL resolver, sessions table
        panel(body)
        trivial_get()
        trivial_post(body)
    panel_ms, get_ms, post_ms = [], [], []
    for _ in range(repetitions):  # interleaved, so drift in machine load hits all three
        for body in bodies:
            panel_ms.append(timed(lambda b=body: panel(b)) * 1e3)
            get_ms.append(timed(trivial_get) * 1e3)
            post_ms.append(timed(lambda b=body: trivial_post(b)) * 1e3)
    panel_median = statistics.median(panel_ms)
    get_median = statistics.median(get_ms)
    post_median = statistics.median(post_ms)
    print(f"2. Django test client, logged in, all middleware ({len(panel_ms)} requests each):")
    rows = [
        ("panel   POST assessment_preview", panel_median),
        (f"trivial GET  {TRIVIAL_URL}", get_median),
        (f"trivial POST {TRIVIAL_URL} (same body)", post_median),
    ]
    for label, median in rows:
        print(f"   {label:<42} median {median:6.2f} ms")
    print(f"   ratio panel / trivial GET  = {panel_median / get_median:.2f}  (target <= 2)")
    print(f"   ratio panel / trivial POST = {panel_median / post_median:.2f}")


def bench_panel_parts(repetitions: int, user: Any, patient: Any) -> None:
    """The panel view's steps, each timed on its own (median over all vignettes)."""
    from django.http import QueryDict

    from assessments.views import PREVIEW_REASONS_FOR
    from clinic.selectors import patients_for_user

    posts = [QueryDict(urlencode(form_fields(v["findings"]))) for v in vignettes()]
    prepared = []
    for post in posts:
        findings, errors = preview_findings(post)
        ranking = findings_ranking(findings=findings)
        prepared.append((findings, errors, ranking, panel_view(findings, ranking)))

    def render(ranking: dict[str, Any], panel: PanelView, errors: list[str]) -> None:
        context = {
            "ranking": ranking,
            "panel": panel,
            "field_errors": errors,
            "reasons_for": PREVIEW_REASONS_FOR,
        }
        render_to_string("assessments/includes/differential_panel.html", context)

    parts: dict[str, list[float]] = {
        "patient": [],
        "form": [],
        "rank": [],
        "contract": [],
        "render": [],
    }
    for _ in range(repetitions):
        for post, (findings, errors, ranking, panel) in zip(posts, prepared, strict=True):
            parts["patient"].append(
                timed(lambda: patients_for_user(user=user).filter(pk=patient.pk).exists())
            )
            parts["form"].append(timed(lambda p=post: preview_findings(p)))
            result = rank(findings)
            parts["rank"].append(timed(lambda f=findings: rank(f)))
            parts["contract"].append(timed(lambda r=result: ranking_to_contract(r)))
            parts["render"].append(timed(lambda r=ranking, v=panel, e=errors: render(r, v, e)))
    print("3. The panel view's steps, in-process (median per request):")
    labels = {
        "patient": "patient access check (one EXISTS query)",
        "form": "preview_findings(POST)  (read and validate the typed findings)",
        "rank": "rank(findings)",
        "contract": "ranking_to_contract(ranking)",
        "render": "render differential_panel.html",
    }
    for key, label in labels.items():
        print(f"   {statistics.median(parts[key]) * 1e3:6.2f} ms  {label}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    rank_reps, http_reps, part_reps = (20, 3, 3) if args.quick else (200, 15, 15)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}")
    bench_rank(rank_reps)
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        user, patient = make_user_and_patient()
        with override_settings(ROOT_URLCONF=URLCONF):
            bench_http(http_reps, user, patient)
        bench_panel_parts(part_reps, user, patient)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


if __name__ == "__main__":
    main()
