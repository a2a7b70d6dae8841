"""What the task worker did during one load run, from the task rows (django-tasks' database
backend) and the PDF issue requests made since the run started: how long an issue waited in the
queue and then ran, and how many were still open when the run ended (the worker's backlog: the
"asked → downloaded" row counts only the issues that finished). Printed by ``loadtest/run.sh``.

    python loadtest/worker_report.py SINCE_ISO_TIME     # the run's summary
    python loadtest/worker_report.py --drain SECONDS    # wait until no PDF issue is open
"""

import os
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django_tasks_db.models import DBTaskResult  # noqa: E402

from rehab.models import IssueRequest  # noqa: E402
from rehab.tasks import issue_plan_pdf  # noqa: E402


def _seconds(values: list[float]) -> str:
    return f"median {median(values):.1f} s, max {max(values):.1f} s" if values else "none finished"


def summary(since: datetime) -> list[str]:
    issues = DBTaskResult.objects.filter(
        task_path=issue_plan_pdf.module_path,
        enqueued_at__gte=since,
        started_at__isnull=False,
        finished_at__isnull=False,
    ).values_list("enqueued_at", "started_at", "finished_at")
    waited = [(start - enqueued).total_seconds() for enqueued, start, _ in issues]
    ran = [(end - start).total_seconds() for _, start, end in issues]
    requests = Counter(
        IssueRequest.objects.filter(requested_at__gte=since).values_list("status", flat=True)
    )
    return [
        f"task worker: a PDF issue waited in the queue {_seconds(waited)},",
        f"  then ran {_seconds(ran)} (two renders: the PDF and its link copy);",
        "  PDF issue requests of this run: "
        + (", ".join(f"{status} {n}" for status, n in sorted(requests.items())) or "none"),
    ]


def drain(seconds: int) -> str:
    """Wait for the worker to finish the PDF issues still open, so the next run starts empty."""
    started = time.monotonic()
    while (open_now := IssueRequest.objects.filter(status__in=IssueRequest.OPEN).count()) and (
        time.monotonic() - started < seconds
    ):
        time.sleep(2)
    waited = time.monotonic() - started
    if open_now:
        return f"the worker's queue still holds {open_now} PDF issues after {waited:.0f} s"
    return f"the worker's queue is empty (waited {waited:.0f} s for it)"


if __name__ == "__main__":
    if sys.argv[1] == "--drain":
        print(drain(int(sys.argv[2])))
    else:
        print("\n".join(summary(datetime.fromisoformat(sys.argv[1]))))
