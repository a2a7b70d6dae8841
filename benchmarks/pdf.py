"""How much the plan PDF costs on top of WeasyPrint itself.

Run from the project root (it makes its own in-memory SQLite test database, then drops it):

    .venv/bin/python benchmarks/pdf.py            # 15 rounds, about half a minute
    .venv/bin/python benchmarks/pdf.py --quick    # 5 rounds, a smoke test
    .venv/bin/python benchmarks/pdf.py --large-print

Figures, all measured in the same run on the demo plan (phase 3 of proximal hamstring
tendinopathy: three exercise cards, running card, schedule, log sheet):

1. End to end: the ``plan_pdf_preview`` view through the Django test client when the project
   has that URL, otherwise ``render_plan_pdf()`` (context + template + WeasyPrint) in-process.
2. WeasyPrint alone (``html_to_pdf()``) on the same HTML, rendered once beforehand.
3. Median of each and the ratio of the medians (the target is at most 1.2), and the median of
   the per-round ratios: the two are timed alternately, so load on the machine hits both
   alike. Then where the difference goes: building the context, rendering the template.

Not a test: timings depend on the machine; nothing here fails a build.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
os.environ["DATABASE_URL"] = "sqlite://:memory:"  # never touch a configured database

import django  # noqa: E402
import pypdf  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402
from django.urls import NoReverseMatch, reverse  # noqa: E402

from benchmarks.trivial import TRIVIAL_URL, URLCONF  # noqa: E402
from rehab.management.demo_plan import build_demo_plan  # noqa: E402
from rehab.pdf import TEMPLATE, html_to_pdf, plan_pdf_context, render_plan_pdf  # noqa: E402
from rehab.services import plan_issue  # noqa: E402


def timed(work: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = work()
    return time.perf_counter() - start, result


def view_renderer(plan, large_print: bool) -> Callable[[], bytes] | None:
    """The preview view as a browser would call it, or None if the project has none yet."""
    try:
        url = reverse("plan_pdf_preview", args=[plan.pk])
    except NoReverseMatch:
        return None
    client = Client()
    client.force_login(plan.created_by)
    query = {"large_print": "on"} if large_print else {}

    def get() -> bytes:
        response = client.get(url, query)
        if response.status_code != 200 or response["Content-Type"] != "application/pdf":
            raise RuntimeError(f"{url} answered {response.status_code} {response['Content-Type']}")
        return b"".join(response.streaming_content) if response.streaming else response.content

    try:
        get()
    except RuntimeError as error:
        print(f"  (view not usable here: {error}; timing render_plan_pdf() instead)")
        return None
    return get


def bench_redownload(plan, requests: int) -> tuple[float, float]:
    """Re-downloading an issued PDF (stored bytes) against a trivial view, interleaved."""
    document = plan_issue(plan=plan, clinician=plan.created_by, pdf=render_plan_pdf(plan=plan))
    client = Client()
    client.force_login(plan.created_by)
    url = reverse("document_download", args=[document.pk])
    with override_settings(ROOT_URLCONF=URLCONF):
        for _ in range(10):  # warm-up
            client.get(url)
            client.get(TRIVIAL_URL)
        downloads, trivials = [], []
        for _ in range(requests):
            seconds, response = timed(lambda: client.get(url))
            if response.content != bytes(document.pdf):
                raise RuntimeError("the download is not the issued bytes")
            downloads.append(seconds)
            trivials.append(timed(lambda: client.get(TRIVIAL_URL))[0])
    return statistics.median(downloads), statistics.median(trivials)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description="Plan PDF: end to end versus WeasyPrint alone.")
    parser.add_argument("--quick", action="store_true", help="5 rounds instead of 15")
    parser.add_argument("--rounds", type=int, help="rounds of each measurement")
    parser.add_argument("--large-print", action="store_true")
    args = parser.parse_args()
    rounds = args.rounds or (5 if args.quick else 15)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; rounds: {rounds}")

    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0)
    try:
        plan = build_demo_plan()
        large = args.large_print
        end_to_end = view_renderer(plan, large)
        label = "view plan_pdf_preview -> PDF bytes" if end_to_end else "render_plan_pdf()"
        if end_to_end is None:

            def end_to_end() -> bytes:
                return render_plan_pdf(plan=plan, large_print=large)

        context = plan_pdf_context(plan=plan, large_print=large)
        html = render_to_string(TEMPLATE, context)
        pages = len(pypdf.PdfReader(io.BytesIO(html_to_pdf(html))).pages)
        print(f"demo plan: {len(html):,} characters of HTML, {pages} pages")

        for _ in range(2):  # warm-up: imports, template and font caches
            end_to_end()
            html_to_pdf(html)
        full, alone, contexts, templates = [], [], [], []
        for _ in range(rounds):
            full.append(timed(end_to_end)[0])
            alone.append(timed(lambda: html_to_pdf(html))[0])
            seconds, context = timed(lambda: plan_pdf_context(plan=plan, large_print=large))
            contexts.append(seconds)
            templates.append(timed(lambda ctx=context: render_to_string(TEMPLATE, ctx))[0])
        download_median, trivial_median = bench_redownload(plan, rounds * 20)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    full_median, alone_median = statistics.median(full), statistics.median(alone)
    print(f"end to end ({label}): median {ms(full_median)}  (min {ms(min(full))})")
    print(
        f"WeasyPrint alone on the same HTML:      median {ms(alone_median)}  (min {ms(min(alone))})"
    )
    print(
        f"ratio end to end / WeasyPrint alone:    {full_median / alone_median:.3f}  (target <= 1.2)"
    )
    paired = statistics.median(f / a for f, a in zip(full, alone, strict=True))
    print(f"median of paired (same round) ratios:   {paired:.3f}")
    print(f"  of which context (2 queries):         median {ms(statistics.median(contexts))}")
    print(f"  of which template rendering:          median {ms(statistics.median(templates))}")
    print(f"re-download of the issued PDF (stored bytes): median {ms(download_median)}")
    print(f"trivial view, same middleware:                median {ms(trivial_median)}")
    print(
        f"ratio re-download / trivial:                  {download_median / trivial_median:.2f}"
        "  (target <= 2)"
    )


if __name__ == "__main__":
    main()
