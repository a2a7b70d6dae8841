"""Every clinical page needs login and shows only the user's own clinic's records."""

import pytest
from django.urls import reverse

PATIENT_PAGES = ["patient_detail", "patient_edit", "assessment_create"]
ASSESSMENT_PAGES = ["assessment_detail", "assessment_edit"]
ASSESSMENT_ACTIONS = ["assessment_sign", "assessment_amend"]


def _urls(patient, assessment):
    return (
        [reverse(name, args=[patient.pk]) for name in PATIENT_PAGES]
        + [reverse(name, args=[assessment.pk]) for name in ASSESSMENT_PAGES]
        + [reverse("dashboard"), reverse("patient_create"), reverse("differential_knowledge")]
    )


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login_from_every_page(client, patient, assessment):
    for url in _urls(patient, assessment):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_colleague_in_the_same_clinic_can_open_every_page(client, bob, patient, assessment):
    client.force_login(bob)
    for url in _urls(patient, assessment):
        assert client.get(url).status_code == 200, url


def test_clinician_of_another_clinic_gets_404_for_every_record(
    client, charlie, patient, assessment
):
    client.force_login(charlie)
    for name in PATIENT_PAGES:
        assert client.get(reverse(name, args=[patient.pk])).status_code == 404, name
    for name in ASSESSMENT_PAGES:
        assert client.get(reverse(name, args=[assessment.pk])).status_code == 404, name
    for name in ASSESSMENT_ACTIONS:
        assert client.post(reverse(name, args=[assessment.pk])).status_code == 404, name
    preview = reverse("assessment_preview", args=[patient.pk])
    assert client.post(preview, {"sit_bone_tenderness": "True"}).status_code == 404
    assessment.refresh_from_db()
    assert assessment.status == "draft"


def test_dashboard_lists_only_the_users_clinic_patients(client, charlie, patient):
    client.force_login(charlie)
    response = client.get(reverse("dashboard"))
    assert patient.last_name not in response.content.decode()
