"""Export of a patient's complete record: JSON (every row, with its history) and a FHIR R4
Bundle that ``fhir.resources`` parses back."""

import base64
import hashlib
import json

import pytest
from django.test import Client
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from clinic.models import AccessEvent
from records.export import patient_record
from rehab.services import (
    outcome_measurement_record,
    plan_create,
    plan_issue,
    questionnaire_answer,
    questionnaire_request_create,
    session_log_create,
)
from tests.factories import PatientFactory
from tests.rehab_factories import signed_assessment

PDF = b"%PDF-1.4 Rosa's plan"


def _treated(patient, alice, *, pdf=PDF):
    plan = plan_create(
        assessment=signed_assessment(patient=patient, clinician=alice), clinician=alice
    )
    session_log_create(
        plan=plan,
        recorded_by=None,
        session_date=plan.starts_on,
        exercise_pain=3,
        running_pain=4,
        notes="Felt tight",
    )
    session_log_create(plan=plan, recorded_by=alice, session_date=plan.starts_on, exercise_pain=1)
    for measure, responses in (
        ("pain_rest", {"pain": 2}),
        ("lefs", {f"lefs_{n:02d}": 3 for n in range(1, 21)}),
    ):
        outcome_measurement_record(
            patient=patient,
            measure=measure,
            measured_on=plan.starts_on,
            responses=responses,
            recorded_by=alice,
            plan=plan,
        )
    plan_issue(plan=plan, clinician=alice, pdf=pdf)
    return plan


@pytest.fixture
def plan(patient, alice):
    return _treated(patient, alice)


@pytest.mark.parametrize("name", ["patient_export_json", "patient_export_fhir"])
def test_the_fixed_cast_for_both_exports(name, alice, bob, charlie, patient, plan):
    client = Client()
    url = reverse(name, args=[patient.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    for user, status in ((alice, 200), (bob, 200), (charlie, 404)):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == status, user
    assert b"Runner" not in response.content
    assert AccessEvent.objects.filter(what=AccessEvent.What.EXPORT).count() == 2


def test_json_export_holds_every_row_of_the_patient_and_none_of_another(
    alice_client, alice, clinic, patient, plan
):
    other = PatientFactory(clinic=clinic, first_name="Otto", last_name="Other")
    _treated(other, alice, pdf=b"%PDF-1.4 Otto")
    asked = questionnaire_request_create(plan=plan, measure="pain_running", requested_by=alice)
    questionnaire_answer(request=asked, responses={"pain": 5}, measured_on=plan.starts_on)
    response = alice_client.get(reverse("patient_export_json", args=[patient.pk]))
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)

    records = data["records"]
    counts = {label: len(rows) for label, rows in records.items()}
    assert counts == {
        "clinic.patient": 1,
        "assessments.assessment": 1,
        "assessments.redflagclearance": 0,
        "rehab.plan": 1,
        "rehab.prescription": plan.prescriptions.count(),
        "rehab.sessionlog": 2,
        "rehab.progressiondecision": 0,
        "rehab.issueddocument": 1,
        "rehab.patientlink": 1,
        "rehab.patientlinkaccess": 0,
        "rehab.outcomemeasurement": 3,  # one answered by the runner on their link
        "rehab.questionnairerequest": 1,
        "rehab.issuerequest": 0,  # the PDF above was issued by the service, not through a request
        "clinic.accessevent": 0,  # this export is recorded once answered (test_audit_reads)
    }
    assert records["clinic.patient"][0]["fields"]["last_name"] == "Runner"
    assert records["rehab.questionnairerequest"][0]["fields"]["measure"] == "pain_running"
    assert "Otto" not in response.content.decode()
    document = records["rehab.issueddocument"][0]["fields"]
    pdf = base64.b64decode(document["pdf"])
    assert pdf == PDF and hashlib.sha256(pdf).hexdigest() == document["sha256"]
    assert "token" not in records["rehab.patientlink"][0]["fields"]
    assert plan.patient_link.token not in response.content.decode()
    assert data["history"]["clinic.historicalpatient"][0]["fields"]["history_type"] == "+"
    assert len(data["history"]["rehab.historicalsessionlog"]) == 2
    assert data["people"][str(alice.pk)]["username"] == "alice"
    assert (data["patient_id"], data["exported_by"]) == (patient.pk, "alice")


def test_json_export_function_output_is_plain_json(patient, plan):
    data = patient_record(patient=patient)
    assert json.loads(json.dumps(data)) == data


def test_fhir_export_is_an_r4_bundle_that_parses_back(alice_client, patient, plan):
    response = alice_client.get(reverse("patient_export_fhir", args=[patient.pk]))
    assert response["Content-Type"] == "application/fhir+json"
    bundle = Bundle.model_validate_json(response.content)  # raises if not a valid Bundle

    assert bundle.type == "collection"
    resources = [entry.resource for entry in bundle.entry]
    kinds = [r.get_resource_type() for r in resources]
    assert kinds.count("Patient") == 1
    assert kinds.count("CarePlan") == 1
    # 2 outcome scores + exercise and running pain of the first log + exercise pain of the second
    assert kinds.count("Observation") == 5

    fhir_patient = resources[kinds.index("Patient")]
    assert (fhir_patient.name[0].family, fhir_patient.name[0].given) == ("Runner", ["Rosa"])
    assert fhir_patient.identifier[0].value == patient.record_number
    assert str(fhir_patient.birthDate) == "1988-04-02"
    patient_url = bundle.entry[kinds.index("Patient")].fullUrl
    for resource in resources:
        if resource.get_resource_type() != "Patient":
            assert resource.subject.reference == patient_url

    care_plan = resources[kinds.index("CarePlan")]
    assert (care_plan.status, care_plan.intent) == ("active", "plan")
    assert len(care_plan.activity) == plan.prescriptions.count()
    observations = [r for r in resources if r.get_resource_type() == "Observation"]
    pain_codes = [r for r in observations if r.code.coding[0].code == "72514-3"]
    assert sorted(r.valueInteger for r in pain_codes) == [1, 2, 3, 4]
    lefs = next(r for r in observations if r.code.coding[0].code == "lefs")
    assert lefs.valueQuantity.value == 60
