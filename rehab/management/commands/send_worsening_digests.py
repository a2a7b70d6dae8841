"""Queue the daily email of worsening alerts, one per PT; for cron, once a day.

python manage.py send_worsening_digests                      # address: DJANGO_PATIENT_LINK_BASE_URL
python manage.py send_worsening_digests --base-url https://clinic.example.org

Each PT's email is a task (``rehab.tasks.send_worsening_digest``) that a worker sends; a PT
with no alert gets none.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from rehab.services import worsening_digest_recipients
from rehab.tasks import send_worsening_digest


class Command(BaseCommand):
    help = "Queue each PT's daily email of the plans whose runners reported worsening."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default="",
            help="The app's public address for the plan links in the emails "
            "(default: settings.PATIENT_LINK_BASE_URL).",
        )

    def handle(self, *args, base_url, **options):
        base_url = base_url or settings.PATIENT_LINK_BASE_URL
        if not base_url.startswith(("http://", "https://")):
            raise CommandError(
                "The emails link to the plans: give --base-url https://... "
                "or set DJANGO_PATIENT_LINK_BASE_URL."
            )
        queued = 0
        for clinician in worsening_digest_recipients():
            send_worsening_digest.enqueue(user_pk=clinician.pk, base_url=base_url)
            queued += 1
        self.stdout.write(f"Queued the worsening digest for {queued} clinician(s).")
