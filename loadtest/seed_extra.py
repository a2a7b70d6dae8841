"""Extra data for the load test, on top of ``seed_demo``: one draft and one plan per simulated
user (so no two users edit the same draft, where a version conflict is counted as a failure, or
issue the same plan, where the second request would join the first), more patients for the
dashboard, and a few more issued PDFs. Writes the ids the locustfile needs as JSON.

    python loadtest/seed_extra.py TARGETS_JSON [DRAFTS] [PLANS]
"""

import json
import os
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402

from assessments.models import Assessment  # noqa: E402
from assessments.services import assessment_sign  # noqa: E402
from clinic.models import Clinic, Patient  # noqa: E402
from records.management.commands.seed_demo import CLINICIAN, DEMO_CLINIC  # noqa: E402
from rehab.management.demo_plan import DEMO_SCREEN_REASON  # noqa: E402
from rehab.models import IssuedDocument  # noqa: E402
from rehab.pdf import render_plan_pdf  # noqa: E402
from rehab.services import plan_create, plan_issue  # noqa: E402

# Findings that rank proximal hamstring tendinopathy first (as in the demo and the tests).
FINDINGS = {
    "pain_locations": ["sit_bone"],
    "aggravated_by_sitting": True,
    "sit_bone_tenderness": True,
    "bent_knee_stretch": "positive",
    "onset": "gradual",
    "age": 38,
    "weekly_distance_km": 35,
}
EXTRA_PLANS_WITH_PDF = 3


@transaction.atomic
def main(targets_path: str, drafts: int, plans: int) -> None:
    clinic = Clinic.objects.get(name=DEMO_CLINIC)
    clinician = get_user_model().objects.get(username=CLINICIAN["username"])
    draft_ids, plan_ids = [], []
    for n in range(drafts + plans + EXTRA_PLANS_WITH_PDF):
        patient = Patient.objects.create(
            clinic=clinic,
            first_name=f"Load{n:03d}",
            last_name="Runner",
            date_of_birth=date(1985, 1, 1 + n % 28),
            sex="female" if n % 2 else "male",
            record_number=f"LT-{n:04d}",
        )
        assessment = Assessment.objects.create(
            patient=patient, clinician=clinician, assessed_on=date.today(), side="left", **FINDINGS
        )
        if n < drafts:
            draft_ids.append(assessment.pk)
            continue
        assessment_sign(
            assessment=assessment,
            clinician=clinician,
            red_flag_screen_reason=DEMO_SCREEN_REASON,
        )
        plan = plan_create(assessment=assessment, clinician=clinician)
        if n < drafts + plans:
            plan_ids.append(plan.pk)  # issued during the run, by the task worker
            continue
        plan_issue(plan=plan, clinician=clinician, pdf=render_plan_pdf(plan=plan))
    targets = {
        "patients": list(Patient.objects.filter(clinic=clinic).values_list("pk", flat=True)),
        "drafts": draft_ids,
        "plans": plan_ids,
        "documents": list(IssuedDocument.objects.values_list("pk", flat=True)),
        "findings": FINDINGS,
    }
    Path(targets_path).write_text(json.dumps(targets), encoding="utf-8")
    print(
        f"Load-test data: {len(targets['patients'])} patients, {len(draft_ids)} drafts, "
        f"{len(plan_ids)} plans to issue, {len(targets['documents'])} issued PDFs."
    )


if __name__ == "__main__":
    main(
        sys.argv[1],
        int(sys.argv[2]) if len(sys.argv) > 2 else 40,
        int(sys.argv[3]) if len(sys.argv) > 3 else 30,
    )
