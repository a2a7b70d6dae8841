import pytest
from django.core.management import call_command

from assessments.models import Assessment
from clinic.models import Clinic, Patient
from rehab.models import IssuedDocument, OutcomeMeasurement, Plan, ProgressionDecision, SessionLog


@pytest.mark.pdf
def test_seed_demo_is_idempotent_and_prints_the_login(db, capsys):
    call_command("seed_demo")
    first = capsys.readouterr().out
    models = [Clinic, Patient, Assessment, Plan, SessionLog, ProgressionDecision]
    models += [OutcomeMeasurement, IssuedDocument]
    counts = [model.objects.count() for model in models]
    call_command("seed_demo")
    assert [model.objects.count() for model in models] == counts
    assert counts == [1, 12, 12, 1, 4, 1, 6, 1]
    assert "demo.pt / hamstring-demo" in first
    assert Assessment.objects.filter(status="signed").count() == 9
