import pytest
from django.urls import reverse

from clinic.models import Membership, Patient
from tests.factories import PatientFactory, UserFactory

NEW_PATIENT = {
    "first_name": "Ines",
    "last_name": "Okafor",
    "date_of_birth": "1990-02-14",
    "sex": "female",
    "email": "ines@example.com",
    "record_number": "RR-9001",
    "notes": "Marathon in April.",
}


def test_clinician_creates_a_patient_in_their_clinic(alice_client, clinic):
    response = alice_client.post(reverse("patient_create"), NEW_PATIENT)
    patient = Patient.objects.get(record_number="RR-9001")
    assert response.status_code == 302
    assert response.url == patient.get_absolute_url()
    assert patient.clinic == clinic


def test_bad_patient_input_names_the_field_and_keeps_what_was_typed(alice_client):
    response = alice_client.post(
        reverse("patient_create"), {**NEW_PATIENT, "date_of_birth": "14/14/1990"}
    )
    assert response.status_code == 200
    assert "date_of_birth" in response.context["form"].errors
    page = response.content.decode()
    assert "Date of birth" in page and 'value="Okafor"' in page and "Marathon in April." in page
    assert not Patient.objects.exists()


def test_record_number_must_be_unique_within_the_clinic(alice_client, patient):
    response = alice_client.post(
        reverse("patient_create"), {**NEW_PATIENT, "record_number": patient.record_number}
    )
    assert "record_number" in response.context["form"].errors
    assert Patient.objects.count() == 1


def test_the_same_record_number_is_allowed_in_another_clinic(alice_client, other_clinic):
    PatientFactory(clinic=other_clinic, record_number="RR-9001")
    response = alice_client.post(reverse("patient_create"), NEW_PATIENT)
    assert response.status_code == 302


def test_clinician_cannot_move_a_patient_to_a_clinic_they_do_not_work_in(
    alice_client, patient, other_clinic
):
    data = {**NEW_PATIENT, "clinic": other_clinic.pk, "record_number": patient.record_number}
    alice_client.post(reverse("patient_edit", args=[patient.pk]), data)
    patient.refresh_from_db()
    assert patient.clinic != other_clinic


def test_editing_a_patient_records_who_changed_it(alice_client, alice, patient):
    data = {**NEW_PATIENT, "record_number": patient.record_number}
    response = alice_client.post(reverse("patient_edit", args=[patient.pk]), data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.last_name == "Okafor"
    assert patient.history.first().history_user == alice


def test_dashboard_searches_by_name_and_record_number(alice_client, clinic):
    PatientFactory(clinic=clinic, first_name="Ada", last_name="Quill", record_number="Q-1")
    PatientFactory(clinic=clinic, first_name="Ben", last_name="Stone", record_number="S-2")
    by_name = alice_client.get(reverse("dashboard"), {"q": "quill"}).content.decode()
    assert "Quill" in by_name and "Stone" not in by_name
    by_number = alice_client.get(reverse("dashboard"), {"q": "S-2"}).content.decode()
    assert "Stone" in by_number and "Quill" not in by_number


# The patient list (the user's clinics, count, page), seen recently (two), and the active plans
# behind alerts, due list and inbox (the inbox's other three run only when there are active
# plans: tests/functional/test_inbox.py bounds those).
DASHBOARD_QUERIES = 12


def test_dashboard_paginates_with_a_fixed_number_of_queries(
    alice_client, clinic, django_assert_max_num_queries
):
    PatientFactory.create_batch(60, clinic=clinic)
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        response = alice_client.get(reverse("dashboard"), {"page": 2})
    assert len(response.context["page"].object_list) == 25
    assert response.context["page"].paginator.num_pages == 3


@pytest.mark.django_db
def test_login_page_logs_a_clinician_in(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "pw"})
    assert response.status_code == 302
    assert client.get(reverse("dashboard")).status_code == 200


def test_dashboard_query_count_does_not_grow_with_patients(
    alice_client, clinic, django_assert_max_num_queries
):
    PatientFactory.create_batch(5, clinic=clinic)
    with django_assert_max_num_queries(DASHBOARD_QUERIES) as few:
        alice_client.get(reverse("dashboard"))
    PatientFactory.create_batch(200, clinic=clinic)
    with django_assert_max_num_queries(len(few.captured_queries)):
        alice_client.get(reverse("dashboard"))


# A blank record number is given the clinic's next one; a phone number is kept.


def test_a_blank_record_number_is_numbered_by_the_clinic(alice_client, clinic):
    clinic.record_number_prefix = "RIV-"
    clinic.save()
    PatientFactory(clinic=clinic, record_number="RIV-00002")  # typed by hand earlier
    for first in ("Ada", "Ben"):
        response = alice_client.post(
            reverse("patient_create"),
            {**NEW_PATIENT, "first_name": first, "record_number": "", "phone": "01632 960001"},
        )
        assert response.status_code == 302
    numbers = dict(Patient.objects.filter(clinic=clinic).values_list("first_name", "record_number"))
    assert numbers["Ada"] == "RIV-00001"
    assert numbers["Ben"] == "RIV-00003"  # 00002 was taken
    assert Patient.objects.get(first_name="Ada").phone == "01632 960001"


def test_the_edit_form_still_needs_a_record_number(alice_client, patient):
    response = alice_client.post(
        reverse("patient_edit", args=[patient.pk]), {**NEW_PATIENT, "record_number": ""}
    )
    assert response.status_code == 200
    assert "record_number" in response.context["form"].errors


def test_the_patient_page_offers_anonymising_only_to_an_admin_of_the_patients_clinic(
    client, alice, clinic, other_clinic, patient
):
    """The role counted is the one in the patient's clinic: admin elsewhere is not enough."""
    admin_here = UserFactory(clinic=clinic, clinic__role="clinic_admin")
    admin_elsewhere = UserFactory(clinic=other_clinic, clinic__role="clinic_admin")
    Membership.objects.create(user=admin_elsewhere, clinic=clinic, role="clinician")
    url = reverse("patient_detail", args=[patient.pk])
    anonymise = reverse("patient_anonymise", args=[patient.pk])
    for user, offered in ((admin_here, True), (alice, False), (admin_elsewhere, False)):
        client.force_login(user)
        page = client.get(url)
        assert page.status_code == 200
        assert (anonymise in page.content.decode()) is offered, user
