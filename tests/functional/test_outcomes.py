"""Recording and listing outcome measures: forms from the definitions, errors by field, scope."""

import datetime as dt

import pytest
from django.urls import reverse

from rehab import outcomes
from rehab.models import OutcomeMeasurement
from rehab.services import outcome_measurement_record
from tests.factories import PatientFactory

LEFS_ITEMS = [f"lefs_{n:02d}" for n in range(1, 21)]


def record_url(patient, measure):
    return reverse("outcome_record", args=[patient.pk, measure])


def list_url(patient):
    return reverse("outcome_list", args=[patient.pk])


def lefs_post(points="3", **extra):
    return {"measured_on": "2026-11-20", **dict.fromkeys(LEFS_ITEMS, points), **extra}


def visa_post(**extra):
    data = {f"visa_h_q{n}": "7" for n in range(1, 7)}
    data.update({"measured_on": "2026-11-20", "visa_h_q7": "4", "visa_h_q8": "b"})
    data.update(extra)
    return data


def record(patient, measure, total_answers, day, user=None):
    return outcome_measurement_record(
        patient=patient,
        measure=measure,
        measured_on=day,
        responses=total_answers,
        recorded_by=user,
    )


def test_lefs_form_has_every_item_as_a_labelled_radio_group(alice_client, patient):
    response = alice_client.get(record_url(patient, "lefs"))
    page = response.content.decode()
    assert response.status_code == 200
    form = response.context["form"]
    assert [name for name in form.fields if name.startswith("lefs_")] == LEFS_ITEMS
    for code in LEFS_ITEMS:
        assert page.count(f'name="{code}"') == 5, code
    assert "Making sharp turns while running fast." in page
    assert "Extreme difficulty or unable to perform activity" in page
    assert "Minimal important change: 9 points." in page


def test_recording_lefs_stores_the_scored_answers_and_the_version(alice_client, alice, patient):
    response = alice_client.post(record_url(patient, "lefs"), lefs_post("3", lefs_19="1"))
    assert response.status_code == 302
    assert response.url == list_url(patient)
    measurement = OutcomeMeasurement.objects.get()
    assert measurement.total == 19 * 3 + 1
    assert measurement.responses["lefs_19"] == 1
    assert measurement.measured_on == dt.date(2026, 11, 20)
    assert measurement.recorded_by == alice
    assert measurement.measures_version == outcomes.measures_version()
    assert measurement.history.count() == 1


def test_missing_and_out_of_range_lefs_items_are_named_and_nothing_is_saved(alice_client, patient):
    data = lefs_post("4", lefs_07="5")
    del data["lefs_03"]
    response = alice_client.post(record_url(patient, "lefs"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"lefs_03", "lefs_07"}
    assert "Nothing has been saved yet" in response.content.decode()
    assert not OutcomeMeasurement.objects.exists()


def test_visa_h_form_warns_the_wording_is_unverified_and_offers_q7_and_q8_as_radios(
    alice_client, patient
):
    page = alice_client.get(record_url(patient, "visa_h")).content.decode()
    assert 'id="wording-not-verified"' in page
    assert page.count('name="visa_h_q7"') == 4
    assert page.count('name="visa_h_q8"') == 3
    assert page.count('name="visa_h_q8b"') == 5
    assert "No minimal important change has been published for the VISA-H" in page


def test_visa_h_q8_branch_b_scores_its_own_points_and_ignores_a_left_over_8a(alice_client, patient):
    response = alice_client.post(
        record_url(patient, "visa_h"), visa_post(visa_h_q8b="14", visa_h_q8a="30")
    )
    assert response.status_code == 302
    measurement = OutcomeMeasurement.objects.get()
    assert measurement.total == 6 * 7 + 4 + 14
    assert "visa_h_q8a" not in measurement.responses
    assert measurement.responses["visa_h_q8"] == "b"


def test_visa_h_q8_branch_without_its_time_band_names_that_field(alice_client, patient):
    response = alice_client.post(record_url(patient, "visa_h"), visa_post())
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"visa_h_q8b"}
    assert not OutcomeMeasurement.objects.exists()


@pytest.mark.parametrize("bad", ["11", "-1", "seven"])
def test_pain_out_of_range_is_refused_on_the_pain_field(alice_client, patient, bad):
    response = alice_client.post(
        record_url(patient, "pain_running"), {"measured_on": "2026-11-20", "pain": bad}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"pain"}
    assert not OutcomeMeasurement.objects.exists()


def test_a_plan_of_another_patient_cannot_be_chosen(alice_client, patient, clinic):
    from rehab.models import Plan

    other = PatientFactory(clinic=clinic)
    assert not Plan.objects.exists()
    response = alice_client.post(
        record_url(patient, "pain_rest"),
        {"measured_on": "2026-11-20", "pain": "2", "plan": "999"},
    )
    assert response.status_code == 400
    assert "plan" in response.context["form"].errors
    with pytest.raises(ValueError, match="another patient"):
        outcome_measurement_record(
            patient=patient,
            measure="pain_rest",
            measured_on=dt.date(2026, 11, 20),
            responses={"pain": 2},
            plan=Plan(patient=other),
        )


def test_unknown_measure_is_404(alice_client, patient):
    assert alice_client.get(record_url(patient, "koos")).status_code == 404


def test_clinician_of_another_clinic_gets_404_and_saves_nothing(client, charlie, patient):
    client.force_login(charlie)
    assert client.get(list_url(patient)).status_code == 404
    assert client.get(record_url(patient, "lefs")).status_code == 404
    assert client.post(record_url(patient, "lefs"), lefs_post()).status_code == 404
    assert not OutcomeMeasurement.objects.exists()


def test_colleague_in_the_same_clinic_sees_the_list(client, bob, alice, patient):
    record(patient, "pain_rest", {"pain": 3}, dt.date(2026, 11, 1), alice)
    client.force_login(bob)
    response = client.get(list_url(patient))
    assert response.status_code == 200
    assert "Pain at rest" in response.content.decode()


def test_anonymous_is_sent_to_login(client, patient):
    response = client.get(list_url(patient))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_list_shows_scores_change_and_the_mcid_flag(alice_client, alice, patient):
    lefs_40 = dict.fromkeys(LEFS_ITEMS, 2)
    lefs_52 = {**dict.fromkeys(LEFS_ITEMS, 2), **dict.fromkeys(LEFS_ITEMS[:12], 3)}
    record(patient, "lefs", lefs_40, dt.date(2026, 11, 1), alice)
    record(patient, "lefs", lefs_52, dt.date(2026, 11, 29), alice)
    visa = {f"visa_h_q{n}": 5 for n in range(1, 7)}
    visa.update(visa_h_q7=4, visa_h_q8="c", visa_h_q8c=5)
    record(patient, "visa_h", visa, dt.date(2026, 11, 1), alice)
    record(patient, "visa_h", {**visa, "visa_h_q1": 9}, dt.date(2026, 11, 29), alice)
    response = alice_client.get(list_url(patient))
    page = response.content.decode()
    lefs_history, visa_history = response.context["histories"]
    newest = lefs_history.rows[0]
    assert (newest.score.total, newest.change.delta, newest.change.important) == (52, 12, True)
    assert "+12" in page and "Better: reaches the MCID" in page
    assert visa_history.rows[0].change.important is None
    assert "No MCID to compare" in page
    assert "No minimal important change has been published for the VISA-H." in page
    assert "First measurement" in page
    keys = [chart.key for chart in response.context["charts"]]
    assert keys == ["lefs", "visa_h"]
    assert page.count('src="data:image/svg+xml;base64,') == 2


def test_list_data_is_one_query_and_drawing_costs_none(alice, patient, django_assert_num_queries):
    from rehab import charts
    from rehab.chart_data import outcome_history, outcome_measurements_for_patient

    for day in (1, 8, 15):
        record(patient, "pain_rest", {"pain": 4}, dt.date(2026, 11, day), alice)
        record(patient, "lefs", dict.fromkeys(LEFS_ITEMS, 3), dt.date(2026, 11, day), alice)
    with django_assert_num_queries(1):
        measurements = list(outcome_measurements_for_patient(patient=patient))
    with django_assert_num_queries(0):
        histories = outcome_history(measurements)
        charts.outcome_chart("lefs", histories[0].points)
        names = [row.measurement.recorded_by.username for h in histories for row in h.rows]
        plans = [row.measurement.plan for h in histories for row in h.rows]
    assert names == ["alice"] * 6 and plans == [None] * 6


def test_list_page_queries_do_not_grow_with_the_measurements(alice_client, alice, patient):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as context:
            assert alice_client.get(list_url(patient)).status_code == 200
        return len(context)

    record(patient, "lefs", dict.fromkeys(LEFS_ITEMS, 3), dt.date(2026, 11, 1), alice)
    few = page_queries()
    for day in (8, 15, 22):
        record(patient, "lefs", dict.fromkeys(LEFS_ITEMS, 3), dt.date(2026, 11, day), alice)
        record(patient, "pain_running", {"pain": 5}, dt.date(2026, 11, day), alice)
    assert page_queries() == few


def test_outcome_list_shows_a_measurement_recorded_without_a_clinician(alice_client, patient):
    outcome_measurement_record(
        patient=patient,
        measure="pain_rest",
        measured_on=dt.date(2026, 11, 20),
        responses={"pain": 2},
        recorded_by=None,
    )
    response = alice_client.get(reverse("outcome_list", args=[patient.pk]))
    assert response.status_code == 200
    assert "Patient" in response.content.decode()
