"""A queryset compiled once runs as the ORM would, reads fresh rows each time, and is never
compiled again (``clinic.compiled``)."""

from unittest import mock

import pytest
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.sql.compiler import SQLCompiler

from clinic.compiled import compile_once, run
from clinic.models import Patient
from tests.factories import AssessmentFactory, PatientFactory


def _patients_with_assessments(clinic):
    latest = (
        Patient.objects.filter(pk=OuterRef("pk"))
        .annotate(day=Max("assessments__assessed_on"))
        .values("day")
    )
    return (
        Patient.objects.filter(clinic=clinic)
        .select_related("clinic")
        .annotate(assessments_count=Count("assessments"), last_assessed=Subquery(latest))
        .order_by("last_name", "pk")
    )


def _rows(patients):
    return [
        (p.pk, p.last_name, p.clinic.name, p.assessments_count, p.last_assessed) for p in patients
    ]


@pytest.mark.django_db
def test_runs_as_the_orm_does_with_related_rows_and_annotations(clinic, patient, alice):
    AssessmentFactory(patient=patient, clinician=alice)
    PatientFactory(clinic=clinic, last_name="Zephyr")
    compiled = compile_once(_patients_with_assessments(clinic))

    assert _rows(run(compiled)) == _rows(_patients_with_assessments(clinic))
    assert {type(p.last_assessed) for p in run(compiled)} == {
        type(p.last_assessed) for p in _patients_with_assessments(clinic)
    }


@pytest.mark.django_db
def test_each_run_reads_the_rows_as_they_are_now(clinic, patient, alice):
    compiled = compile_once(_patients_with_assessments(clinic))
    assert [p.assessments_count for p in run(compiled)] == [0]

    AssessmentFactory(patient=patient, clinician=alice)
    PatientFactory(clinic=clinic, last_name="Zephyr")

    assert _rows(run(compiled)) == _rows(_patients_with_assessments(clinic))
    assert [p.assessments_count for p in run(compiled)] == [1, 0]


@pytest.mark.django_db
def test_a_run_does_not_compile_again(clinic, patient):
    compiled = compile_once(_patients_with_assessments(clinic))
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True) as as_sql:
        assert [p.pk for p in run(compiled)] == [patient.pk]
    as_sql.assert_not_called()


@pytest.mark.django_db
def test_a_compiled_query_cannot_be_changed(clinic):
    compiled = compile_once(_patients_with_assessments(clinic))
    with pytest.raises(TypeError, match="cannot be changed"):
        compiled.filter(last_name="Archer")
