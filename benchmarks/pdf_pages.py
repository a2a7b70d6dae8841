"""Pages per printed plan: every protocol's phase-1 plan and the demo plan, A4 and Letter,
standard and large print, read back with pypdf; and whether any card is split across pages.

    .venv/bin/python benchmarks/pdf_pages.py            # about a minute (36 PDFs)
    .venv/bin/python benchmarks/pdf_pages.py --only proximal_hamstring_tendinopathy

Plans are built through the real services (signed assessment, ``plan_create``) in a throwaway
in-memory SQLite database. "Split cards" counts exercise, activity and running cards whose
boxes WeasyPrint laid out on more than one page (the target is 0: a card is printed whole).
Not a test: tests/functional/test_plan_pdf.py pins the figures that matter.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings_test"
os.environ["DATABASE_URL"] = "sqlite://:memory:"  # never touch a configured database

import django  # noqa: E402
import pypdf  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment, teardown_test_environment  # noqa: E402

from rehab import engine  # noqa: E402
from rehab.management.demo_plan import build_demo_plan  # noqa: E402
from rehab.pdf import render_plan_html  # noqa: E402
from rehab.pdf.render import laid_out_plan, split_cards  # noqa: E402

DEMO = "demo plan (phase 3)"
VARIANTS = (("A4", False), ("A4", True), ("Letter", False), ("Letter", True))


class _RollBack(Exception):
    pass


def measure(name: str, page_size: str, large_print: bool) -> tuple[int, int, int]:
    """(pages, cards, cards split) for one plan in one print variant, rolled back after."""
    result = None
    try:
        with transaction.atomic():
            if name == DEMO:
                plan = build_demo_plan(page_size=page_size)
            else:
                plan = build_demo_plan(page_size=page_size, phase=1, diagnosis=name)
            document = laid_out_plan(render_plan_html(plan=plan, large_print=large_print))
            pdf = document.write_pdf()
            pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
            cards = plan.prescriptions.count()
            result = (pages, cards, len(split_cards(document)))
            raise _RollBack
    except _RollBack:
        pass
    if result is None:
        raise RuntimeError(f"{name}: nothing rendered")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help="A diagnosis (repeatable) or 'demo'.")
    args = parser.parse_args()
    planned = [p.diagnosis for p in engine.knowledge().protocols.values() if not p.refer_first]
    names = [*planned, DEMO]
    if args.only:
        names = [n for n in names if n in args.only or (n == DEMO and "demo" in args.only)]

    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0)
    rows = []
    try:
        for name in names:
            figures = [measure(name, size, large) for size, large in VARIANTS]
            rows.append((name, figures))
            print(".", end="", flush=True, file=sys.stderr)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()
    print(file=sys.stderr)

    heads = ("A4", "A4 large", "Letter", "Letter large")
    print(f"{'plan':38} {'cards':>5} " + " ".join(f"{h:>12}" for h in heads))
    for name, figures in rows:
        cells = [
            f"{pages} p" + (f" ({split} split)" if split else "") for pages, _, split in figures
        ]
        print(f"{name:38} {figures[0][1]:>5} " + " ".join(f"{c:>12}" for c in cells))
    split_total = sum(split for _, figures in rows for _, _, split in figures)
    print(f"cards split across pages, all variants: {split_total}")


if __name__ == "__main__":
    main()
