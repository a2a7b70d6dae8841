"""SQL compiled once (``clinic.compiled``) reads as the ORM would, fresh rows on each run, each
request's ids in place of the stand-ins, and is never compiled again."""

from unittest import mock

import pytest
from django.db.models import Count, Max, OuterRef, Subquery
from django.db.models.sql.compiler import SQLCompiler

from clinic.compiled import ANY_ID, ANY_IDS, ID_SLOTS, CompiledQuery
from clinic.models import Patient
from tests.factories import AssessmentFactory, PatientFactory


def _patients_with_assessments(clinic_id):
    latest = (
        Patient.objects.filter(pk=OuterRef("pk"))
        .annotate(day=Max("assessments__assessed_on"))
        .values("day")
    )
    return (
        Patient.objects.filter(clinic=clinic_id)
        .select_related("clinic")
        .annotate(assessments_count=Count("assessments"), last_assessed=Subquery(latest))
        .order_by("last_name", "pk")
    )


def _rows(patients):
    return [
        (p.pk, p.last_name, p.clinic.name, p.assessments_count, p.last_assessed) for p in patients
    ]


@pytest.mark.django_db
def test_reads_as_the_orm_does_with_related_rows_and_annotations(clinic, patient, alice):
    AssessmentFactory(patient=patient, clinician=alice)
    PatientFactory(clinic=clinic, last_name="Zephyr")
    compiled = CompiledQuery.of(_patients_with_assessments(clinic.pk))

    found = compiled.instances({})
    assert _rows(found) == _rows(_patients_with_assessments(clinic.pk))
    assert isinstance(found[0], Patient)
    assert {type(p.last_assessed) for p in found} == {
        type(p.last_assessed) for p in _patients_with_assessments(clinic.pk)
    }


@pytest.mark.django_db
def test_each_run_reads_the_rows_as_they_are_now(clinic, patient, alice):
    compiled = CompiledQuery.of(_patients_with_assessments(clinic.pk))
    assert [p.assessments_count for p in compiled.instances({})] == [0]

    AssessmentFactory(patient=patient, clinician=alice)
    PatientFactory(clinic=clinic, last_name="Zephyr")

    assert [p.assessments_count for p in compiled.instances({})] == [1, 0]


@pytest.mark.django_db
def test_each_run_puts_its_own_ids_in_place_of_the_stand_ins(clinic, other_clinic, patient):
    elsewhere = PatientFactory(clinic=other_clinic)
    compiled = CompiledQuery.of(_patients_with_assessments(ANY_ID))

    assert [p.pk for p in compiled.instances({ANY_ID: clinic.pk})] == [patient.pk]
    assert [p.pk for p in compiled.instances({ANY_ID: other_clinic.pk})] == [elsewhere.pk]
    assert compiled.instances({}) == []  # the stand-in itself: no row has it


@pytest.mark.django_db
def test_a_run_does_not_compile_again(clinic, patient):
    compiled = CompiledQuery.of(_patients_with_assessments(ANY_ID))
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True) as as_sql:
        assert [p.pk for p in compiled.instances({ANY_ID: clinic.pk})] == [patient.pk]
    as_sql.assert_not_called()


def test_a_stand_in_id_used_twice_in_a_query_is_refused():
    with pytest.raises(ValueError, match="parameter of its own"):
        CompiledQuery.of(Patient.objects.filter(pk=ANY_ID, clinic_id=ANY_ID))


@pytest.mark.django_db
def test_a_list_of_ids_longer_than_the_slots_is_read_a_slice_at_a_time(
    clinic, patient, django_assert_num_queries
):
    last = PatientFactory(clinic=clinic, last_name="Zephyr")
    missing = [10**12 + n for n in range(ID_SLOTS)]  # ids no row has, filling the first query
    compiled = CompiledQuery.of(Patient.objects.filter(pk__in=ANY_IDS).order_by("pk"))

    with django_assert_num_queries(2):
        found = compiled.instances_of_ids([patient.pk, *missing, last.pk])

    assert [p.pk for p in found] == [patient.pk, last.pk]
    assert compiled.instances_of_ids([]) == []
