"""Every page a clinician opens, against a bare view behind the same middleware, at the demo
clinic's size and at 10,000 patients, on PostgreSQL.

    .venv/bin/python benchmarks/pages.py                    # demo size, then 10,000 patients
    .venv/bin/python benchmarks/pages.py --patients 2000    # a smaller second size
    .venv/bin/python benchmarks/pages.py --quick            # fewer repetitions, a smoke test
    .venv/bin/python benchmarks/pages.py --profile plan     # where one page's time goes
    .venv/bin/python benchmarks/pages.py --keep             # keep the 10,000-patient database
    .venv/bin/python benchmarks/pages.py --reuse --profile plan   # and profile it again, no copy
    .venv/bin/python benchmarks/pages.py --reuse --only dashboard # time only the pages named so

It makes a scratch database (``bench_pages`` on ``BENCH_DATABASE_URL``, by default
``postgres://postgres@127.0.0.1:5432/bench_pages``), migrates it, loads ``seed_demo``, times
every page, then copies the demo clinic's patients with all their records and history
(``benchmarks/volume.py``: one ``INSERT ... SELECT`` per table, each copy a few days further
back in the clinic's history) up to ``--patients``, runs VACUUM ANALYZE and times them
again; the database is dropped at the end.

Each request is paired with a request to a view returning "ok" (``benchmarks/trivial.py``,
behind the same sessions, CSRF, login, two-factor and audit middleware) made just before it
with the same method and body; a page's figure is the median of its pairs' ratios, so drift
in the machine's load hits both sides. The issue's target: no page above 5x.

Not a test: timings depend on the machine; nothing here fails a build.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_pages"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
os.environ["DATABASE_URL"] = DATABASE_URL  # the scratch database, never a configured one

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import reverse  # noqa: E402

from benchmarks.trivial import TRIVIAL_URL, URLCONF  # noqa: E402
from benchmarks.volume import clone_clinic_patients  # noqa: E402

FORM_TYPE = "application/x-www-form-urlencoded"
HTMX = {"HTTP_HX_REQUEST": "true"}


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    body: str | None = None  # a POST (as htmx sends it) when set
    htmx: bool = False


def _admin_connection() -> psycopg.Connection:
    """A connection to the server's maintenance database, to create and drop the scratch one."""
    parts = urlsplit(DATABASE_URL)
    return psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
        autocommit=True,
    )


def _database_name() -> str:
    name = urlsplit(DATABASE_URL).path.lstrip("/")
    if not name.startswith("bench"):
        raise SystemExit(f"not a scratch database (bench...): {name!r}")
    return name


def create_database() -> None:
    name = _database_name()
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115


def drop_database() -> None:
    connection.close()
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{_database_name()}" WITH (FORCE)')


def clinician_pages() -> tuple[Any, list[Page]]:
    """The demo clinician and every page they open, on the demo clinic's own records."""
    from django.contrib.auth import get_user_model

    from assessments.models import Assessment
    from benchmarks.differential import form_fields
    from clinic.models import Patient
    from records.management.commands.seed_demo import CLINICIAN, DEMO_PLAN_PATIENT
    from rehab.models import Plan

    user = get_user_model().objects.get(username=CLINICIAN["username"])
    tom = Patient.objects.get(record_number=DEMO_PLAN_PATIENT)
    plan = Plan.objects.filter(patient=tom).latest("pk")
    signed = plan.assessment
    draft = Assessment.objects.filter(patient__clinic=tom.clinic, signed_at__isnull=True)
    draft = draft.order_by("pk").first()
    prescription = plan.prescriptions.order_by("pk").first()
    session = plan.session_logs.order_by("pk").first()
    preview = urlencode(form_fields(draft.to_findings()))
    pages = [
        Page("dashboard", reverse("dashboard")),
        Page("dashboard search", reverse("dashboard") + "?q=Archer"),
        Page("patient list, page 2", reverse("dashboard") + "?page=2"),
        Page("patient", reverse("patient_detail", args=[tom.pk])),
        Page("patient history", reverse("patient_history", args=[tom.pk])),
        Page("new patient form", reverse("patient_create")),
        Page("patient edit form", reverse("patient_edit", args=[tom.pk])),
        Page("new assessment form", reverse("assessment_create", args=[tom.pk])),
        Page("draft assessment edit", reverse("assessment_edit", args=[draft.pk])),
        Page("draft assessment", reverse("assessment_detail", args=[draft.pk])),
        Page("signed assessment", reverse("assessment_detail", args=[signed.pk])),
        Page(
            "differential panel update",
            reverse("assessment_preview", args=[draft.patient_id]),
            body=preview,
            htmx=True,
        ),
        Page("plan", reverse("plan_detail", args=[plan.pk])),
        Page("session log edit", reverse("session_log_edit", args=[session.pk])),
        Page("prescription edit", reverse("prescription_edit", args=[prescription.pk])),
        Page("outcomes", reverse("outcome_list", args=[tom.pk])),
        Page("outcome form (LEFS)", reverse("outcome_record", args=[tom.pk, "lefs"])),
        Page("differential knowledge", reverse("differential_knowledge")),
    ]
    return user, pages


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


class Bench:
    def __init__(self, user: Any) -> None:
        self.client = Client()
        self.client.force_login(user)

    def get(self, page: Page) -> Any:
        extra = HTMX if page.htmx else {}
        if page.body is None:
            return self.client.get(page.url, **extra)
        return self.client.post(page.url, page.body, content_type=FORM_TYPE, **extra)

    def fetch(self, page: Page) -> None:
        response = self.get(page)
        assert response.status_code == 200, (page.name, response.status_code)  # noqa: S101

    def bare(self, page: Page) -> None:
        response = self.get(Page("bare", TRIVIAL_URL, page.body, page.htmx))
        assert response.content == b"ok", response.status_code  # noqa: S101

    def measure(self, pages: list[Page], repetitions: int) -> dict[str, tuple[float, float, float]]:
        """Per page: median page ms, median bare-view ms, median of the paired ratios."""
        for page in pages:  # warm-up: templates, URL resolver, caches, connection
            for _ in range(2):
                self.fetch(page)
                self.bare(page)
        times: dict[str, list[tuple[float, float]]] = {page.name: [] for page in pages}
        for _ in range(repetitions):
            for page in pages:
                bare = timed(lambda p=page: self.bare(p))
                took = timed(lambda p=page: self.fetch(p))
                times[page.name].append((took, bare))
        return {
            name: (
                statistics.median(t for t, _ in pairs) * 1e3,
                statistics.median(b for _, b in pairs) * 1e3,
                statistics.median(t / b for t, b in pairs),
            )
            for name, pairs in times.items()
        }


def print_table(results: list[tuple[str, dict[str, tuple[float, float, float]]]]) -> None:
    sizes = [label for label, _ in results]
    head = f"{'page':<28}" + "".join(f" | {label:>24}" for label in sizes)
    print(head)
    print("-" * len(head))
    for name in results[0][1]:
        cells = []
        for _, figures in results:
            page_ms, bare_ms, ratio = figures[name]
            flag = "!" if ratio > 5 else " "
            cells.append(f" | {ratio:5.1f}x{flag} {page_ms:6.1f} / {bare_ms:4.1f} ms")
        print(f"{name:<28}" + "".join(cells))
    print("(median of paired page/bare-view ratios; median page / bare-view ms; ! above 5x)")


def profile(bench: Bench, pages: list[Page], wanted: str, repetitions: int) -> None:
    chosen = [page for page in pages if wanted in page.name]
    for page in chosen:
        bench.fetch(page)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repetitions):
            bench.fetch(page)
        profiler.disable()
        print(f"\n== profile: {page.name} ({repetitions} requests)")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(r"/(clinic|assessments|rehab|records)/", 40)
        stats.sort_stats("cumulative").print_stats(r"crispy|template/(loader|base)", 25)
        stats.sort_stats("tottime").print_stats(25)


def slowest_queries(bench: Bench, pages: list[Page], wanted: str, shown: int = 8) -> None:
    """Each chosen page's queries, slowest first, timed over one request."""
    for page in [page for page in pages if wanted == "all" or wanted in page.name]:
        bench.fetch(page)
        timings: list[tuple[float, str]] = []

        def timer(execute, sql, params, many, context, timings=timings):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - started, sql))

        with connection.execute_wrapper(timer):
            bench.fetch(page)
        total = sum(t for t, _ in timings) * 1e3
        print(f"\n== queries: {page.name}: {len(timings)} queries, {total:.1f} ms in the database")
        for took, sql in sorted(timings, reverse=True)[:shown]:
            print(f"  {took * 1e3:7.2f} ms  {sql[:600]}")


def patient_count() -> int:
    from clinic.models import Patient

    return Patient.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000, help="the second size")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--profile", metavar="PAGE", help="cProfile the pages whose name has PAGE")
    parser.add_argument("--queries", metavar="PAGE", help="time each query of the pages with PAGE")
    parser.add_argument("--only", metavar="PAGE", help="time only the pages whose name has PAGE")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time a database kept by --keep as it is (no seeding, no copy), and keep it",
    )
    args = parser.parse_args()
    repetitions = 5 if args.quick else 15

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {load}")
    print(f"PostgreSQL scratch database {_database_name()}")
    # No setup_test_environment(): it instruments every template render for the test client's
    # context capture (a copy of the context per template), which would weigh on the pages and
    # not on the bare view. "testserver" is allowed by hand instead.
    if not args.reuse:
        create_database()
    results = []
    try:
        with override_settings(ROOT_URLCONF=URLCONF, ALLOWED_HOSTS=["testserver"], DEBUG=False):
            user, pages = clinician_pages()
            pages = [page for page in pages if (args.only or "") in page.name]
            bench = Bench(user)
            sizes = [patient_count()] if args.reuse else [patient_count(), args.patients]
            for size in sizes:
                if size > patient_count():
                    from clinic.models import Clinic

                    started = time.perf_counter()
                    clone_clinic_patients(clinic=Clinic.objects.get(), patients=size)
                    # VACUUM too: this server runs without autovacuum, so freshly copied tables
                    # would have no visibility map and every COUNT would read the whole table,
                    # which a production server's autovacuum would not leave it doing.
                    with connection.cursor() as cursor:
                        cursor.execute("VACUUM ANALYZE")
                    took = time.perf_counter() - started
                    print(f"copied the demo clinic to {patient_count()} patients in {took:.0f} s")
                if args.profile or args.queries:
                    if size == sizes[-1] and args.profile:
                        profile(bench, pages, args.profile, repetitions)
                    if size == sizes[-1] and args.queries:
                        slowest_queries(bench, pages, args.queries)
                    continue
                label = f"{patient_count()} patients"
                results.append((label, bench.measure(pages, repetitions)))
                print(f"measured at {label}")
        if results:
            print()
            print_table(results)
    finally:
        if not (args.keep or args.reuse):
            drop_database()


if __name__ == "__main__":
    main()
