"""Render a plan's patient PDF (or its HTML) from the command line.

python manage.py render_plan 42 -o plan.pdf
python manage.py render_plan 42 --large-print -o plan-large.pdf
python manage.py render_plan 42 --html -o plan.html
python manage.py render_plan --demo -o demo.pdf      # a demo plan, rolled back afterwards
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from rehab.management.demo_plan import build_demo_plan
from rehab.models import Plan
from rehab.pdf import render_plan_html, render_plan_pdf


class _RollBack(Exception):
    pass


class Command(BaseCommand):
    help = "Render a plan's patient PDF (or HTML) to a file."

    def add_arguments(self, parser):
        parser.add_argument("plan_id", nargs="?", type=int, help="The plan's id.")
        parser.add_argument("-o", "--output", required=True, help="File to write.")
        parser.add_argument("--html", action="store_true", help="Write the HTML, not the PDF.")
        parser.add_argument(
            "--large-print", action="store_true", help="Larger type, one exercise per page."
        )
        parser.add_argument(
            "--base-url",
            default="",
            help="Origin for the patient link (default: the one stored when the plan was issued, "
            "else settings.PATIENT_LINK_BASE_URL; with neither, no link is printed).",
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Render a demo plan built in a transaction that is rolled back.",
        )
        parser.add_argument(
            "--page-size", choices=["A4", "Letter"], default="A4", help="With --demo."
        )

    def handle(self, *args, plan_id, output, html, large_print, base_url, demo, page_size, **_):
        if demo == (plan_id is not None):
            raise CommandError("Give a plan id or --demo, not both.")
        render = render_plan_html if html else render_plan_pdf
        options = {"large_print": large_print, "base_url": base_url}
        if demo:
            content = self._demo(render, options, page_size)
        else:
            try:
                plan = Plan.objects.get(pk=plan_id)
            except Plan.DoesNotExist as missing:
                raise CommandError(f"No plan with id {plan_id}.") from missing
            content = render(plan=plan, **options)
        path = Path(output)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        self.stdout.write(f"Wrote {path} ({'HTML' if html else 'PDF'}).")

    @staticmethod
    def _demo(render, options, page_size):
        result = None
        try:
            with transaction.atomic():
                plan = build_demo_plan(page_size=page_size)
                result = render(plan=plan, **options)
                raise _RollBack
        except _RollBack:
            pass
        return result
