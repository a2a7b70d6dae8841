"""Random and boundary input into the assessment and follow-up forms, through their views.

For any submission: never a server error (the test client re-raises one); either it is saved
and the view redirects, or it is refused with a message naming each field in question and
nothing is saved at all.
"""

import datetime as dt
import os
import string

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from assessments.forms import NONE_OF_THESE
from assessments.models import Assessment
from assessments.services import assessment_sign
from assessments.vocabulary import load_vocabulary
from rehab import services
from rehab.forms import SessionLogForm
from rehab.models import NOTES_MAX_LENGTH, SessionLog
from rehab.services import plan_create
from tests.factories import NOT_SCREENED, AssessmentFactory
from tests.rehab_factories import PHT_FINDINGS

# 40 keeps CI (the suite runs twice) quick; FORM_PROPERTY_EXAMPLES=1000 for a deeper local run.
PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("FORM_PROPERTY_EXAMPLES", "40")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

FIELDS = load_vocabulary().fields
BY_NAME = {field.name: field for field in FIELDS}

junk = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=string.printable, max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "NaN",
            "inf",
            "-inf",
            "1e309",
            "-0",
            "0x10",
            "½",
            "٣",  # an Arabic-Indic digit
            "1" * 400,
            "<script>alert(1)</script>",
            "\x00",
            "True",
            "None",
        ]
    ),
)


def _valid_value(field):
    """An answer the vocabulary accepts, boundaries included."""
    if field.type == "boolean":
        return st.sampled_from(["", "True", "False"])
    if field.type in ("enum", "result"):
        return st.sampled_from(["", *field.allowed_values])
    if field.type == "set":
        return st.one_of(
            st.just([NONE_OF_THESE]), st.lists(st.sampled_from(field.values), unique=True)
        )
    low, high = int(field.min), int(field.max)
    if field.type == "integer":
        return st.one_of(
            st.sampled_from(["", str(low), str(high)]), st.integers(low, high).map(str)
        )
    return st.one_of(
        st.sampled_from(["", str(low), str(high), f"{high}.0"]),
        st.decimals(low, high, places=1).map(str),
    )


def _invalid_value(field):
    """An answer the vocabulary refuses: out of range, malformed, or another field's words."""
    if field.type == "set":
        return st.lists(junk, min_size=1, max_size=3).map(lambda v: [*v, "not_a_value"]) | st.just(
            [NONE_OF_THESE, field.values[0]]
        )
    if field.type in ("integer", "number"):
        low, high = int(field.min), int(field.max)
        return st.one_of(
            st.sampled_from([str(low - 1), str(high + 1), "1e309", "NaN", "-inf", "12abc"]),
            st.integers(high + 1, 10**12).map(str),
        )
    return st.sampled_from(["maybe", "yes", "1", "<b>", "\x00", "TRUE "])


valid_dates = st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat)
bad_dates = st.one_of(
    st.sampled_from(["2026-02-30", "2026-13-01", "0000-01-01", "20261120", "", "yesterday"]),
    junk,
)


@st.composite
def assessment_posts(draw):
    """A valid submission, then 0-2 answers spoiled; returns (post data, spoiled names)."""
    data = {"assessed_on": draw(valid_dates), "side": draw(st.sampled_from(["left", "right"]))}
    chosen = draw(st.lists(st.sampled_from(FIELDS), max_size=15, unique_by=lambda f: f.name))
    for field in chosen:
        data[field.name] = draw(_valid_value(field))
    spoiled = draw(
        st.lists(st.sampled_from(["assessed_on", "side", *BY_NAME]), max_size=2, unique=True)
    )
    for name in spoiled:
        if name == "assessed_on":
            data[name] = draw(bad_dates)
        elif name == "side":
            data[name] = draw(st.one_of(st.sampled_from(["", "both", "LEFT"]), junk))
        else:
            data[name] = draw(_invalid_value(BY_NAME[name]))
    return data, spoiled


def _assert_refusal_names_fields(response, form):
    """Every message belongs to a field of the form and its summary line links to the field
    (a radio group's first button: a group has no single labelled input)."""
    assert form.errors, "refused without a message"
    assert set(form.errors) <= set(form.fields), f"messages not tied to a field: {form.errors}"
    html = response.content.decode()
    for name in form.errors:
        target = form[name].id_for_label or f"{form[name].auto_id}_0"
        assert f'href="#{target}"' in html and f'id="{target}"' in html, name


@PROPERTY_SETTINGS
@given(post=assessment_posts())
def test_assessment_form_never_errors_and_saves_only_what_it_accepts(alice_client, patient, post):
    data, spoiled = post
    url = reverse("assessment_create", args=[patient.pk])
    before = Assessment.objects.count()
    response = alice_client.post(url, data)
    event(f"assessment answered {response.status_code}")
    if not spoiled:
        assert response.status_code == 302, response.context["form"].errors
    if response.status_code == 302:
        if Assessment.objects.count() == before:
            # The same answers as a draft saved minutes ago: the resend guard sends the PT to it.
            saved = next(
                a for a in Assessment.objects.all() if a.get_absolute_url() == response.url
            )
        else:
            assert Assessment.objects.count() == before + 1
            saved = Assessment.objects.latest("pk")
            assert response.url == saved.get_absolute_url()
        # What was saved passes the model's own validation (vocabulary ranges included).
        saved.full_clean(exclude=["patient", "clinician", "amends", "signed_by"])
    else:
        assert response.status_code == 200
        assert Assessment.objects.count() == before
        form = response.context["form"]
        _assert_refusal_names_fields(response, form)
        assert set(form.errors) <= set(spoiled), form.errors


@PROPERTY_SETTINGS
@given(post=assessment_posts())
def test_differential_preview_answers_any_half_typed_form(alice_client, patient, post):
    data, _ = post
    before = Assessment.objects.count()
    response = alice_client.post(reverse("assessment_preview", args=[patient.pk]), data)
    assert response.status_code == 200
    assert 'id="differential-panel"' in response.content.decode()
    assert Assessment.objects.count() == before


# --- The follow-up form (SessionLogForm) ---------------------------------------------------

TODAY = timezone.localdate()
PLAN_STARTED = TODAY - dt.timedelta(days=90)  # session dates lie between this and today
VALID_SESSION = {
    "session_date": st.dates(PLAN_STARTED, TODAY).map(dt.date.isoformat),
    "exercise_pain": st.integers(0, 10).map(str),
    "running_pain": st.one_of(st.just(""), st.integers(0, 10).map(str)),
    "running_pain_pattern": st.sampled_from(["", "warms_up", "steady", "builds"]),
    "next_morning": st.sampled_from(["", "better", "same", "worse"]),
    "load_used": st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=200),
    "weekly_distance_km": st.one_of(
        st.sampled_from(["", "0", "400", "400.0", "0.1"]),
        st.decimals(0, 400, places=1).map(str),
    ),
    "notes": st.text(
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
        max_size=NOTES_MAX_LENGTH,
    ),
    "pain_travelled_down_leg": st.sampled_from(["on", None]),
    "completed": st.sampled_from(["True", "False"]),
}
pain_out_of_range = st.one_of(
    st.sampled_from(["-1", "11", "5.5", "1e3", "99999999999999999999", "ten", "<b>"]),
    st.integers(11, 10**9).map(str),
    st.integers(-(10**9), -1).map(str),
)
INVALID_SESSION = {
    "session_date": st.one_of(
        bad_dates,
        st.sampled_from([dt.date(9999, 12, 31), dt.date(1, 1, 1)]).map(dt.date.isoformat),
        st.dates(TODAY + dt.timedelta(days=1)).map(dt.date.isoformat),
        st.dates(max_value=PLAN_STARTED - dt.timedelta(days=1)).map(dt.date.isoformat),
    ),
    "exercise_pain": st.one_of(pain_out_of_range, st.just("")),
    "running_pain": pain_out_of_range,
    "running_pain_pattern": st.sampled_from(["sometimes", "WARMS_UP", "better"]),
    "next_morning": st.sampled_from(["awful", "steady", "Better"]),
    "load_used": st.text(min_size=201, max_size=300) | st.just("a\x00b"),
    "weekly_distance_km": st.sampled_from(
        ["-0.1", "400.1", "9999.9", "12.34", "1e9", "NaN", "Infinity", "km"]
    ),
    "notes": st.just("before\x00after") | st.text(min_size=NOTES_MAX_LENGTH + 1, max_size=2100),
}


@st.composite
def session_posts(draw):
    """A valid follow-up, then 0-2 answers spoiled; returns (post data, spoiled names)."""
    data = {name: draw(strategy) for name, strategy in VALID_SESSION.items()}
    data = {name: value for name, value in data.items() if value is not None}
    spoiled = draw(st.lists(st.sampled_from(sorted(INVALID_SESSION)), max_size=2, unique=True))
    for name in spoiled:
        data[name] = draw(INVALID_SESSION[name])
    return data, spoiled


@pytest.fixture
def live_plan(patient, alice):
    assessment = AssessmentFactory(
        patient=patient,
        clinician=alice,
        **PHT_FINDINGS,
    )
    plan = plan_create(
        assessment=assessment_sign(
            red_flag_screen_reason=NOT_SCREENED, assessment=assessment, clinician=alice
        ),
        clinician=alice,
    )
    plan.starts_on = PLAN_STARTED
    plan.save(update_fields=["starts_on"])
    return plan


@PROPERTY_SETTINGS
@given(post=session_posts())
def test_clinician_follow_up_form_never_errors_and_saves_only_what_it_accepts(
    alice_client, live_plan, post
):
    data, spoiled = post
    before = SessionLog.objects.count()
    response = alice_client.post(reverse("session_log_create", args=[live_plan.pk]), data)
    event(f"clinician log answered {response.status_code}")
    if not spoiled:
        assert response.status_code == 302, response.context["log_form"].errors
    if response.status_code == 302:
        assert SessionLog.objects.count() == before + 1
        SessionLog.objects.latest("pk").full_clean()
    else:
        assert response.status_code == 400
        assert SessionLog.objects.count() == before
        form = response.context["log_form"]
        _assert_refusal_names_fields(response, form)
        assert set(form.errors) <= set(spoiled), form.errors


@PROPERTY_SETTINGS
@given(post=session_posts())
def test_patient_follow_up_form_never_errors_and_saves_only_what_it_accepts(
    client, live_plan, post, monkeypatch
):
    monkeypatch.setattr(services, "LINK_POSTS_PER_HOUR", 10**6)  # the limit has its own test
    data, spoiled = post
    url = reverse("patient_plan_page", args=[live_plan.patient_link.token])
    before = SessionLog.objects.count()
    response = client.post(url, data)
    event(f"patient log answered {response.status_code}")
    if not spoiled:
        assert response.status_code == 302, response.context["form"].errors
    if response.status_code == 302:
        assert SessionLog.objects.count() == before + 1
        log = SessionLog.objects.latest("pk")
        assert log.reported_by == SessionLog.ReportedBy.PATIENT
        log.full_clean()
    else:
        assert response.status_code == 400
        assert SessionLog.objects.count() == before
        form = response.context["form"]
        _assert_refusal_names_fields(response, form)
        assert set(form.errors) <= set(spoiled), form.errors


def test_follow_up_form_names_every_field_it_can_refuse():
    """The property tests above rely on this: each field error has a label to link to."""
    form = SessionLogForm(plan=None, data={"exercise_pain": "11", "weekly_distance_km": "400.1"})
    assert not form.is_valid()
    assert set(form.errors) == {"session_date", "exercise_pain", "weekly_distance_km", "completed"}
