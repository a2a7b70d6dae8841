"""Services take typed values, not forms: whoever calls them, they refuse bad values by field."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from assessments.services import assessment_update
from rehab.services import prescription_update
from tests.factories import AssessmentFactory
from tests.rehab_factories import plan_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice)


def test_prescription_update_refuses_a_step_of_another_ladder_by_field_and_saves_nothing(plan):
    bridge = plan.prescriptions.get(ladder="bridge")
    running_step = plan.prescriptions.get(ladder="running").step_code
    with pytest.raises(ValidationError) as refused:
        prescription_update(prescription=bridge, step_code=running_step, sets=3)
    assert list(refused.value.message_dict) == ["step_code"]
    assert type(bridge).objects.get(pk=bridge.pk).step_code == bridge.step_code


def test_prescription_update_refuses_more_than_fourteen_sessions_a_week_by_field(plan):
    bridge = plan.prescriptions.get(ladder="bridge")
    with pytest.raises(ValidationError) as refused:
        prescription_update(prescription=bridge, step_code=bridge.step_code, sessions_per_week=15)
    assert list(refused.value.message_dict) == ["sessions_per_week"]
    assert type(bridge).objects.get(pk=bridge.pk).version == bridge.version


def test_prescription_update_sets_only_the_dose_fields_of_its_ladder(plan):
    running = plan.prescriptions.get(ladder="running")
    before = running.sets
    prescription_update(
        prescription=running,
        step_code=running.step_code,
        sets=9,
        sessions_per_week=2,
        session="20 min easy",
    )
    running.refresh_from_db()
    assert (running.sets, running.sessions_per_week, running.session) == (
        before,
        2,
        "20 min easy",
    )


def test_assessment_update_refuses_an_out_of_range_age_by_field_and_saves_nothing(patient, alice):
    draft = AssessmentFactory(patient=patient, clinician=alice, age=30)
    with pytest.raises(ValidationError) as refused:
        assessment_update(
            assessment=draft, assessed_on=dt.date(2026, 11, 20), side="left", findings={"age": 400}
        )
    assert list(refused.value.message_dict) == ["age"]
    assert type(draft).objects.get(pk=draft.pk).age == 30


def test_assessment_update_refuses_a_finding_outside_the_vocabulary(patient, alice):
    draft = AssessmentFactory(patient=patient, clinician=alice)
    with pytest.raises(ValidationError, match="not_a_finding"):
        assessment_update(
            assessment=draft,
            assessed_on=draft.assessed_on,
            side=draft.side,
            findings={"not_a_finding": True},
        )
