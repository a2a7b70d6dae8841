"""The admin refuses what the app refuses: the rules live in the models' clean(), shared by both.

Each case posts the admin's own form (read from the page, as a browser would send it) with one
value the app would never write, and checks the field-named error, that nothing was saved, and,
where the bad value used to break a page, that the page still renders.
"""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from clinic.models import Membership
from rehab.models import IssuedDocument, OutcomeMeasurement, PatientLink, Plan, SessionLog
from rehab.services import plan_issue, session_log_create
from tests.admin_forms import form_data
from tests.factories import ClinicFactory, PatientFactory, UserFactory, verified_login
from tests.rehab_factories import plan_for

PDF = b"%PDF-1.4 test"


@pytest.fixture
def dana(clinic):
    """Clinic admin of Riverside and of a second clinic, Northside, holding every permission."""
    user = UserFactory(username="dana", clinic=clinic, clinic__role="clinic_admin", is_staff=True)
    Membership.objects.create(
        user=user, clinic=ClinicFactory(name="Northside"), role=Membership.Role.CLINIC_ADMIN
    )
    user.user_permissions.set(Permission.objects.all())
    return user


@pytest.fixture
def dana_client(dana):
    client = Client()  # her own session, beside alice_client's
    client.force_login(dana)
    return client


@pytest.fixture
def plan(patient, alice):
    return plan_for(patient=patient, clinician=alice)


@pytest.fixture
def northside_clinician(dana):
    northside = Membership.objects.get(user=dana, clinic__name="Northside").clinic
    return UserFactory(username="nora", clinic=northside)


def _post_change(client, obj, **changes):
    path = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    data = form_data(client.get(path).content.decode())
    data.update({name: [str(value)] for name, value in changes.items()})
    return client.post(path, data)


def _errors(response):
    assert response.status_code == 200, response.status_code
    return response.context["adminform"].form.errors


def test_a_phase_outside_the_protocol_is_a_field_error_and_the_plan_page_still_renders(
    dana_client, alice_client, plan
):
    before = plan.updated_at
    assert "current_phase" in _errors(_post_change(dana_client, plan, current_phase=99))
    plan.refresh_from_db()
    assert plan.current_phase == 1 and plan.updated_at == before
    assert alice_client.get(reverse("plan_detail", args=[plan.pk])).status_code == 200


def test_a_step_the_knowledge_does_not_define_is_a_field_error(dana_client, plan):
    prescription = plan.prescriptions.first()
    response = _post_change(dana_client, prescription, step_code="no_such_step")
    assert "step_code" in _errors(response)
    prescription.refresh_from_db()
    assert prescription.step_code != "no_such_step"


def test_a_plan_never_changes_patient(dana_client, plan, clinic):
    other = PatientFactory(clinic=clinic, first_name="Other")
    response = _post_change(dana_client, plan, patient=other.pk)
    assert response.status_code in (200, 302)  # the field is read-only: the post cannot move it
    assert Plan.objects.get(pk=plan.pk).patient_id == plan.patient_id
    page = dana_client.get(reverse("admin:rehab_plan_change", args=[plan.pk])).content.decode()
    assert 'name="patient"' not in page


def test_a_plan_treats_an_assessment_of_its_own_patient(dana_client, plan, clinic, alice):
    other_plan = plan_for(patient=PatientFactory(clinic=clinic), clinician=alice)
    response = _post_change(dana_client, plan, assessment=other_plan.assessment_id)
    assert "assessment" in _errors(response)
    assert Plan.objects.get(pk=plan.pk).assessment_id == plan.assessment_id


def test_a_session_added_in_the_admin_is_never_patient_reported(dana_client, plan, alice):
    path = reverse("admin:rehab_sessionlog_add")
    page = dana_client.get(path).content.decode()
    assert 'name="reported_by"' not in page
    data = form_data(page)
    data.update(
        plan=[str(plan.pk)], session_date=["2026-11-20"], exercise_pain=["2"],
        recorded_by=[""], reported_by=["patient"],
    )  # fmt: skip
    assert "recorded_by" in _errors(dana_client.post(path, data))
    assert not SessionLog.objects.exists()
    data["recorded_by"] = [str(alice.pk)]
    assert dana_client.post(path, data).status_code == 302
    log = SessionLog.objects.get()
    assert log.reported_by == SessionLog.ReportedBy.CLINICIAN and log.recorded_by == alice


def test_a_patient_reported_log_stays_without_a_clinician(dana_client, plan, alice):
    log = session_log_create(plan=plan, session_date=datetime.date(2026, 11, 20), exercise_pain=3)
    response = _post_change(dana_client, log, recorded_by=alice.pk)
    assert "recorded_by" in _errors(response)
    log.refresh_from_db()
    assert log.reported_by == SessionLog.ReportedBy.PATIENT and log.recorded_by is None


def test_who_recorded_or_created_a_record_works_in_its_clinic(
    dana_client, plan, alice, northside_clinician
):
    """dana administers both clinics, so nora is offered; the record's clinic still refuses."""
    log = session_log_create(
        plan=plan, recorded_by=alice, session_date=datetime.date(2026, 11, 20), exercise_pain=3
    )
    assert "recorded_by" in _errors(
        _post_change(dana_client, log, recorded_by=northside_clinician.pk)
    )
    assert "created_by" in _errors(
        _post_change(dana_client, plan, created_by=northside_clinician.pk)
    )
    log.refresh_from_db()
    plan.refresh_from_db()
    assert log.recorded_by == alice and plan.created_by == alice


def test_records_only_the_app_writes_cannot_be_added_or_changed_in_the_admin(
    dana_client, admin_user, plan, alice, monkeypatch
):
    import rehab.pdf

    monkeypatch.setattr(rehab.pdf, "render_plan_pdf", lambda **kwargs: PDF)
    document = plan_issue(plan=plan, clinician=alice, pdf=PDF)
    root = verified_login(Client(), admin_user)
    for client in (dana_client, root):
        for model in (IssuedDocument, PatientLink, OutcomeMeasurement):
            add = reverse(f"admin:rehab_{model._meta.model_name}_add")
            assert client.get(add).status_code == 403, model
            assert (
                client.post(add, {"plan": plan.pk, "patient": plan.patient_id}).status_code == 403
            )
        for obj in (document, plan.patient_link):
            change = reverse(f"admin:rehab_{obj._meta.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200  # view
            assert client.post(change, {"revoked_at": "2026-11-20"}).status_code == 403
    plan.patient_link.refresh_from_db()
    assert plan.patient_link.revoked_at is None
    assert IssuedDocument.objects.count() == 1 and not OutcomeMeasurement.objects.exists()


def test_the_apps_own_service_refuses_the_same_people(plan, northside_clinician):
    """The rule is the model's, not the admin's: session_log_create runs the same clean()."""
    with pytest.raises(ValidationError) as refused:
        session_log_create(
            plan=plan,
            recorded_by=northside_clinician,
            session_date=datetime.date(2026, 11, 20),
            exercise_pain=2,
        )
    assert "recorded_by" in refused.value.message_dict
    assert not SessionLog.objects.exists()
