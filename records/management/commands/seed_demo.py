"""Demo data for a first look: one clinic, its staff, and a dozen runners from the dev vignettes.

Idempotent: running it again creates nothing twice.
"""

import json
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

import assessments
from assessments.models import Assessment
from assessments.services import assessment_sign
from clinic.models import Clinic, Membership, Patient
from rehab.management.demo_plan import DEMO_SCREEN_REASON
from rehab.pdf import render_plan_pdf
from rehab.selectors import progression_proposals
from rehab.services import (
    outcome_measurement_record,
    patient_link_set_base_url,
    plan_create,
    plan_issue,
    progression_decide,
    session_log_create,
)

VIGNETTES_PATH = Path(assessments.__file__).with_name("vignettes") / "dev.json"

DEMO_CLINIC = "Riverside Running Clinic"
CLINICIAN = {"username": "demo.pt", "password": "hamstring-demo", "first_name": "Maria"}
CLINIC_ADMIN = {"username": "demo.admin", "password": "hamstring-admin", "first_name": "Sam"}

DEMO_PLAN_PATIENT = "RR-0001"  # Tom Archer, proximal hamstring tendinopathy (vignette D01)

# (vignette id, first name, last name, signed?) — names are invented for the demo.
DEMO_PATIENTS = [
    ("D01", "Tom", "Archer", True),
    ("D03", "Lena", "Brooks", True),
    ("D05", "Priya", "Chandra", False),
    ("D07", "Marcus", "Dale", True),
    ("D08", "Jonas", "Eklund", True),
    ("D13", "Grace", "Fenwick", True),
    ("D17", "Henrik", "Gould", False),
    ("D18", "Aisha", "Hale", True),
    ("D21", "Noor", "Idris", True),
    ("D24", "Carla", "Jensen", True),
    ("D27", "Zoe", "Kowalski", True),
    ("D31", "Peter", "Lund", False),
]


class Command(BaseCommand):
    help = "Load demo data (one clinic, a clinician, a clinic admin, a dozen patients)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url",
            default="",
            help="Address the demo PDF's patient link is printed with (default: "
            "DJANGO_PATIENT_LINK_BASE_URL, else http://127.0.0.1:8000 as `make run` serves).",
        )

    @transaction.atomic
    def handle(self, *args, base_url="", **options):
        clinic, _ = Clinic.objects.get_or_create(
            name=DEMO_CLINIC,
            defaults={
                "address": "12 River Road, Springfield",
                "phone": "+44 20 7946 0000",
                "email": "hello@riverside-running.example",
            },
        )
        clinician = self._user(CLINICIAN, clinic, Membership.Role.CLINICIAN, staff=False)
        self._user(CLINIC_ADMIN, clinic, Membership.Role.CLINIC_ADMIN, staff=True)
        vignettes = {v["id"]: v for v in json.loads(VIGNETTES_PATH.read_text(encoding="utf-8"))}
        created = 0
        for number, (case_id, first_name, last_name, signed) in enumerate(DEMO_PATIENTS, 1):
            findings = vignettes[case_id]["findings"]
            born = date(timezone.localdate().year - findings.get("age", 35), 6, 1)
            patient, was_created = Patient.objects.get_or_create(
                clinic=clinic,
                record_number=f"RR-{number:04d}",
                defaults={
                    "first_name": first_name,
                    "last_name": last_name,
                    "date_of_birth": born,
                    "sex": findings.get("sex", "other"),
                    "notes": vignettes[case_id]["narrative"],
                },
            )
            if not was_created or patient.assessments.exists():
                continue
            created += 1
            assessment = Assessment.objects.create(
                patient=patient,
                clinician=clinician,
                # The demo plan's runner was assessed before their two weeks of follow-up.
                assessed_on=timezone.localdate()
                - timedelta(days=15 if patient.record_number == DEMO_PLAN_PATIENT else 3 * number),
                side=Assessment.Side.RIGHT,
                **findings,
            )
            if signed:
                assessment_sign(
                    assessment=assessment,
                    clinician=clinician,
                    red_flag_screen_reason=DEMO_SCREEN_REASON,
                )
        base_url = base_url or settings.PATIENT_LINK_BASE_URL or "http://127.0.0.1:8000"
        if self._demo_plan(clinic, clinician, base_url):
            self.stdout.write("Demo plan with follow-ups, outcome scores and an issued PDF added.")
        self.stdout.write(f"Demo data ready: {created} new patient(s) in {clinic.name}.")
        self.stdout.write(
            f"Log in as the clinician: {CLINICIAN['username']} / {CLINICIAN['password']}\n"
            f"Clinic admin (Django admin): {CLINIC_ADMIN['username']} / {CLINIC_ADMIN['password']}"
        )

    def _demo_plan(self, clinic, clinician, base_url: str) -> bool:
        """One runner shows the whole product: a plan, sessions, a decision, scores, a PDF."""
        patient = Patient.objects.get(clinic=clinic, record_number=DEMO_PLAN_PATIENT)
        if patient.plans.exists():
            return False
        assessment = patient.assessments.filter(status=Assessment.Status.SIGNED).first()
        plan = plan_create(assessment=assessment, clinician=clinician)
        today = timezone.localdate()
        plan.starts_on = assessment.assessed_on
        plan.save(update_fields=["starts_on"])
        plan.prescriptions.update_with_history(step_since=plan.starts_on)
        sessions = [  # (days ago, exercise pain, running pain, next morning, by the clinician?)
            (12, 3, 3, "same", True),
            (9, 2, 3, "same", False),
            (6, 2, 2, "better", False),
            (3, 1, 2, "same", False),
        ]
        for days_ago, exercise_pain, running_pain, next_morning, by_clinician in sessions:
            session_log_create(
                plan=plan,
                recorded_by=clinician if by_clinician else None,
                session_date=today - timedelta(days=days_ago),
                exercise_pain=exercise_pain,
                running_pain=running_pain,
                running_pain_pattern="warms_up",
                next_morning=next_morning,
                weekly_distance_km=20,
            )
        proposals = dict(progression_proposals(plan=plan))
        bridge = plan.prescriptions.get(ladder="bridge")
        progression_decide(prescription=bridge, proposal=proposals[bridge], clinician=clinician)
        for days_ago, lefs_answer, rest, running in ((14, 2, 3, 5), (0, 3, 1, 2)):
            on = today - timedelta(days=days_ago)
            lefs = {f"lefs_{n:02d}": lefs_answer for n in range(1, 21)}
            for measure, responses in (
                ("lefs", lefs),
                ("pain_rest", {"pain": rest}),
                ("pain_running", {"pain": running}),
            ):
                outcome_measurement_record(
                    patient=patient,
                    measure=measure,
                    measured_on=on,
                    responses=responses,
                    recorded_by=clinician,
                    plan=plan,
                )
        patient_link_set_base_url(link=plan.patient_link, base_url=base_url)
        plan_issue(
            plan=plan,
            clinician=clinician,
            pdf=render_plan_pdf(plan=plan),
            link_pdf=render_plan_pdf(plan=plan, for_link=True),
        )
        return True

    def _user(self, spec, clinic, role, *, staff):
        user, created = get_user_model().objects.get_or_create(
            username=spec["username"],
            defaults={"first_name": spec["first_name"], "last_name": "Demo", "is_staff": staff},
        )
        if created:
            user.set_password(spec["password"])
            user.save()
            if staff:
                user.user_permissions.set(
                    Permission.objects.filter(
                        content_type__app_label__in=["clinic", "assessments", "rehab"]
                    )
                )
        Membership.objects.get_or_create(user=user, clinic=clinic, defaults={"role": role})
        return user
