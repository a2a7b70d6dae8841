from django.core.management import call_command

from assessments.models import Assessment
from clinic.models import Clinic, Patient


def test_seed_demo_is_idempotent_and_prints_the_login(db, capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = (Clinic.objects.count(), Patient.objects.count(), Assessment.objects.count())
    call_command("seed_demo")
    assert (Clinic.objects.count(), Patient.objects.count(), Assessment.objects.count()) == counts
    assert counts == (1, 12, 12)
    assert "demo.pt / hamstring-demo" in first
    assert Assessment.objects.filter(status="signed").count() == 9
