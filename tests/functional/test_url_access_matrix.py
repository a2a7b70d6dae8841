"""Every URL the project defines, for every kind of visitor, on records of clinic A.

The URL list is read from the resolver, so a new URL cannot escape: a pattern missing from
ROUTES fails ``test_every_url_pattern_is_in_the_access_matrix`` (and its own matrix cases) with
its name, and the next developer adds a line saying how to fill it and what each visitor gets.
Only the Django admin's own URLs are left out; ``test_admin_site_*`` below covers them.

Decision (docs/security.md): memberships define access to clinical records. A superuser with no
membership is an administrator of the software, not a clinician: every patient record is a 404
for them in the clinical pages (the Django admin, audited by django-simple-history, remains).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from assessments.services import assessment_sign
from rehab.services import (
    patient_link_revoke,
    plan_create,
    plan_end,
    plan_issue,
    questionnaire_request_create,
    session_log_create,
)
from tests.factories import (
    NOT_SCREENED,
    AssessmentFactory,
    PatientFactory,
    UserFactory,
    verified_login,
)
from tests.rehab_factories import PHT_FINDINGS

LOGIN = "login"  # expected answer: a redirect to the login page, carrying ?next=
PDF = b"%PDF-1.4 test"


@dataclasses.dataclass(frozen=True)
class Route:
    """How to fill one URL pattern, and what GET and POST answer a member of clinic A.

    ``scoped``: the URL names a record of clinic A, so anyone outside it gets 404 (a GET on a
    POST-only view is 405 before any record is read, for everyone alike).
    ``public``: login_not_required; anonymous visitors get ``anonymous`` instead of LOGIN.
    """

    fill: Callable[[dict], dict]
    member: tuple[int, int]
    scoped: bool = True
    public: bool = False
    anonymous: tuple[int | str, int | str] = (LOGIN, LOGIN)
    superuser: tuple[int, int] | None = None  # the superuser has passed a second factor
    clinician: tuple[int, int] | None = None  # a member of clinic A without the admin role


def _patient(o):
    return {"pk": o["patient"].pk}


def _draft(o):
    return {"pk": o["draft"].pk}


def _plan(o):
    return {"pk": o["plan"].pk}


def _prescription(o):
    return {"pk": o["prescription"].pk}


def _running(o):
    return {"pk": o["plan"].prescriptions.get(ladder="running").pk}


def _token(o):
    return {"token": o["token"]}


def _none(o):
    return {}


def _dashboard_list(o):
    return {"which": "alerts"}


def _runner_log(o):
    """A session the runner logged just now (so still theirs to correct), made on first use."""
    if "log" not in o:
        o["log"] = session_log_create(
            plan=o["plan"], session_date=o["plan"].starts_on, exercise_pain=2, completed=True
        )
    return o["log"]


def _refused(o):
    """A signed assessment whose plan is refused (a cancer history), made on first use."""
    if "refused" not in o:
        o["refused"] = assessment_sign(
            red_flag_screen_reason=NOT_SCREENED,
            assessment=AssessmentFactory(
                patient=o["patient"],
                clinician=o["signed"].clinician,
                **{**PHT_FINDINGS, "cancer_history": True},
            ),
            clinician=o["signed"].clinician,
        )
    return {"pk": o["refused"].pk}


def _outcome_measure(o):
    from rehab import outcomes

    return {"patient_pk": o["patient"].pk, "measure": outcomes.measures()[0].code}


def _runner_questionnaire(o):
    """A questionnaire the PT asked for on the plan (pain at rest), made on first use."""
    if "questionnaire" not in o:
        o["questionnaire"] = questionnaire_request_create(
            plan=o["plan"], measure="pain_rest", requested_by=o["plan"].created_by
        )
    return {"token": o["token"], "pk": o["questionnaire"].pk}


# Every project URL, by name. POST bodies are empty: the answer shows the access decision
# (and, for forms, the field errors) without relying on valid data.
ROUTES: dict[str, Route] = {
    "dashboard": Route(_none, member=(200, 200), scoped=False),
    "dashboard_list": Route(_dashboard_list, member=(200, 200), scoped=False),
    "login": Route(_none, member=(302, 302), scoped=False, public=True, anonymous=(200, 200)),
    # The one public page that is not the login's or the runner's: a load balancer asks it
    # without an account; it names components, never a record (tests/functional/test_health.py).
    "health": Route(_none, member=(200, 405), scoped=False, public=True, anonymous=(200, 405)),
    "logout": Route(_none, member=(405, 302), scoped=False),
    "password_reset": Route(
        _none, member=(200, 200), scoped=False, public=True, anonymous=(200, 200)
    ),
    "password_reset_done": Route(
        _none, member=(200, 405), scoped=False, public=True, anonymous=(200, 405)
    ),
    "password_reset_confirm": Route(
        lambda o: {"uidb64": "MQ", "token": "set-password"},
        member=(200, 200),
        scoped=False,
        public=True,
        anonymous=(200, 200),
    ),
    "password_reset_complete": Route(
        _none, member=(200, 405), scoped=False, public=True, anonymous=(200, 405)
    ),
    "two_factor_setup": Route(_none, member=(200, 200), scoped=False, superuser=(302, 302)),
    "two_factor_verify": Route(_none, member=(302, 302), scoped=False),
    "patient_create": Route(_none, member=(200, 200), scoped=False),
    "patient_detail": Route(_patient, member=(200, 200)),
    "patient_edit": Route(_patient, member=(200, 200)),
    "assessment_create": Route(lambda o: {"patient_pk": o["patient"].pk}, member=(200, 200)),
    "assessment_preview": Route(lambda o: {"patient_pk": o["patient"].pk}, member=(405, 200)),
    "assessment_detail": Route(_draft, member=(200, 200)),
    "assessment_edit": Route(_draft, member=(200, 200)),
    "assessment_sign": Route(_draft, member=(405, 200)),
    "assessment_amend": Route(_draft, member=(405, 302)),
    "assessment_discard": Route(_draft, member=(405, 302)),
    "red_flag_clear": Route(lambda o: {"pk": o["signed"].pk}, member=(200, 400)),
    "differential_knowledge": Route(_none, member=(200, 200), scoped=False),
    "patient_history": Route(_patient, member=(200, 200)),
    "patient_export_json": Route(_patient, member=(200, 200)),
    "patient_export_fhir": Route(_patient, member=(200, 200)),
    "patient_anonymise": Route(_patient, member=(200, 200)),
    "plan_create": Route(lambda o: {"assessment_pk": o["signed"].pk}, member=(405, 302)),
    "refer_runner_pdf": Route(_refused, member=(200, 200)),
    "refer_letter_pdf": Route(_refused, member=(200, 200)),
    "clinical_note_pdf": Route(lambda o: {"pk": o["signed"].pk}, member=(200, 200)),
    "plan_detail": Route(_plan, member=(200, 200)),
    "session_log_create": Route(_plan, member=(405, 400)),
    "session_log_edit": Route(lambda o: {"pk": _runner_log(o).pk}, member=(200, 400)),
    "plan_issue": Route(_plan, member=(405, 302)),
    # No PDF being prepared: back to the plan page (htmx polls get the block or a reload).
    "plan_issue_status": Route(_plan, member=(302, 405)),
    "plan_pdf_preview": Route(_plan, member=(200, 200)),
    "plan_advance_phase": Route(_plan, member=(405, 302)),
    "plan_end": Route(_plan, member=(405, 302)),
    "plan_cleared_to_run": Route(_plan, member=(405, 302)),
    "patient_link_action": Route(
        lambda o: {"pk": o["plan"].pk, "action": "email"}, member=(405, 302)
    ),
    "prescription_edit": Route(_prescription, member=(200, 200)),
    # The plan composer (issue 14): empty posts name the missing field or change nothing.
    "plan_library": Route(_plan, member=(200, 200)),
    "plan_item_add": Route(_plan, member=(405, 400)),
    "plan_template_save": Route(_plan, member=(405, 302)),
    "plan_start_from": Route(_plan, member=(405, 302)),
    "plan_item_move": Route(_prescription, member=(405, 302)),
    # Running is never removed (the post is refused with a message), so the plan stays whole.
    "plan_item_remove": Route(_running, member=(405, 302)),
    "progression_decide": Route(_prescription, member=(405, 400)),
    "outcome_list": Route(lambda o: {"patient_pk": o["patient"].pk}, member=(200, 200)),
    "outcome_record": Route(_outcome_measure, member=(200, 200)),
    "document_download": Route(lambda o: {"pk": o["document"].pk}, member=(200, 200)),
    # The patient's link: public, and the same for everyone who holds it.
    "patient_plan_page": Route(
        _token, member=(200, 200), scoped=False, public=True, anonymous=(200, 200)
    ),
    "patient_plan_pdf": Route(
        _token, member=(200, 200), scoped=False, public=True, anonymous=(200, 200)
    ),
    # Nothing to answer yet (no session before today): a POST goes back to the page.
    "patient_next_morning": Route(
        _token, member=(405, 302), scoped=False, public=True, anonymous=(405, 302)
    ),
    "patient_session_edit": Route(
        lambda o: {"token": o["token"], "pk": _runner_log(o).pk},
        member=(200, 400),
        scoped=False,
        public=True,
        anonymous=(200, 400),
    ),
    # An empty post names the unanswered item: 400, nothing stored.
    "patient_questionnaire": Route(
        _runner_questionnaire, member=(200, 400), scoped=False, public=True, anonymous=(200, 400)
    ),
    # An empty post names the missing questionnaire: 400, nothing asked.
    "questionnaire_request": Route(_plan, member=(405, 400)),
    # The clinic's team: its clinic admins only; a clinician of the clinic is refused (403).
    # An empty invitation names its missing fields (400); an empty role change too.
    "team": Route(
        lambda o: {"pk": o["patient"].clinic_id}, member=(200, 400), clinician=(403, 403)
    ),
    "team_member": Route(
        lambda o: {
            "clinic_pk": o["patient"].clinic_id,
            "pk": o["plan"].created_by.memberships.get().pk,
            "action": "role",
        },
        member=(405, 400),
        clinician=(405, 403),
    ),
}

ROLES = ["anonymous", "clinician_a", "clinician_b", "clinic_admin_a", "superuser_no_membership"]
MEMBERS = {"clinician_a", "clinic_admin_a"}


def _walk(patterns, namespace=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # the admin's own URLs: test_admin_site_* below
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            route = str(entry.pattern)
            static = (settings.STATIC_URL or "").lstrip("/")
            media = (settings.MEDIA_URL or "").lstrip("/")
            if (static and route.startswith(static)) or (media and route.startswith(media)):
                continue
            yield f"{namespace}{entry.name}" if entry.name else f"<unnamed {route!r}>"


try:
    URL_NAMES = sorted(set(_walk(get_resolver().url_patterns)))
    URLCONF_ERROR = None
except Exception as error:  # a broken URLconf fails these tests, not the whole collection
    URL_NAMES, URLCONF_ERROR = ["<URLconf did not import>"], error


@pytest.fixture
def objects(clinic, alice):
    """A patient of clinic A with a draft and a signed assessment, a plan, a PDF and a link."""
    patient = PatientFactory(clinic=clinic, first_name="Rosa", last_name="Runner")
    draft = AssessmentFactory(patient=patient, clinician=alice)
    signed = assessment_sign(
        red_flag_screen_reason=NOT_SCREENED,
        assessment=AssessmentFactory(
            patient=patient,
            clinician=alice,
            **PHT_FINDINGS,
        ),
        clinician=alice,
    )
    plan = plan_create(assessment=signed, clinician=alice)
    document = plan_issue(plan=plan, clinician=alice, pdf=PDF, link_pdf=PDF)
    return {
        "patient": patient,
        "draft": draft,
        "signed": signed,
        "plan": plan,
        "prescription": plan.prescriptions.first(),
        "document": document,
        "token": plan.patient_link.token,
    }


@pytest.fixture(autouse=True)
def _quick_pdf(monkeypatch):
    """plan_issue renders a real PDF elsewhere (tests of rehab.pdf); here only access matters."""
    import rehab.pdf
    import rehab.services
    import rehab.views

    monkeypatch.setattr(rehab.pdf, "render_plan_pdf", lambda **kwargs: PDF)
    monkeypatch.setattr(rehab.views, "render_plan_pdf", lambda **kwargs: PDF, raising=False)
    monkeypatch.setattr(rehab.services, "render_plan_pdf", lambda **kwargs: PDF)  # the task's
    import rehab.referral_views

    for name in ("render_refer_runner_pdf", "render_refer_letter_pdf", "render_clinical_note_pdf"):
        monkeypatch.setattr(rehab.referral_views, name, lambda **kwargs: PDF)


def _user_for(role, clinic, other_clinic, alice, charlie):
    return {
        "anonymous": None,
        "clinician_a": alice,
        "clinician_b": charlie,
        "clinic_admin_a": UserFactory(
            username="dana", clinic=clinic, clinic__role="clinic_admin", is_staff=True
        ),
        "superuser_no_membership": UserFactory(username="root", is_staff=True, is_superuser=True),
    }[role]


def _log_in(client, user):
    """Superusers always pass a second factor (clinic.two_factor); the others need none here."""
    if user.is_superuser:
        verified_login(client, user)
    else:
        client.force_login(user)


def expected(route: Route, role: str, method: str) -> int | str:
    index = 0 if method == "GET" else 1
    if role == "anonymous":
        return route.anonymous[index]
    if role == "superuser_no_membership" and route.superuser is not None:
        return route.superuser[index]
    if role == "clinician_a" and route.clinician is not None:
        return route.clinician[index]
    if role in MEMBERS or not route.scoped:
        return route.member[index]
    if method == "GET" and route.member[0] == 405:
        return 405  # require_POST answers before any record is read
    if method == "POST" and route.member[1] == 405:
        return 405  # require_GET likewise
    return 404


def test_every_url_pattern_is_in_the_access_matrix():
    assert URLCONF_ERROR is None, f"the URLconf did not import: {URLCONF_ERROR!r}"
    missing = [name for name in URL_NAMES if name not in ROUTES]
    assert not missing, (
        f"URL patterns with no line in ROUTES of {__file__}: {', '.join(missing)}. "
        "Add how to fill each one and what every visitor may get."
    )
    stale = sorted(set(ROUTES) - set(URL_NAMES))
    assert not stale, f"ROUTES names URLs that no longer exist: {', '.join(stale)}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", URL_NAMES)
def test_url_answers_each_visitor_as_the_matrix_says(
    name, role, client, objects, clinic, other_clinic, alice, charlie
):
    assert URLCONF_ERROR is None, f"the URLconf did not import: {URLCONF_ERROR!r}"
    route = ROUTES.get(name)
    if route is None:
        pytest.fail(f"URL pattern {name!r} is not in the access matrix: add it to ROUTES.")
    url = reverse(name, kwargs=route.fill(objects))
    user = _user_for(role, clinic, other_clinic, alice, charlie)
    if user is not None:
        _log_in(client, user)
    for method in ("GET", "POST"):
        response = client.get(url) if method == "GET" else client.post(url)
        want = expected(route, role, method)
        if want == LOGIN:
            assert response.status_code == 302, (name, role, method, response.status_code)
            assert response.url.startswith(f"{reverse('login')}?next="), (name, role, method)
        else:
            assert response.status_code == want, (name, role, method, response.status_code)
        if response.status_code == 404:
            assert b"Rosa" not in response.content and b"Runner" not in response.content
        # Whatever the answer, no cache may keep it (clinic.security.NoStoreMiddleware).
        cache_control = response.get("Cache-Control", "")
        assert "no-store" in cache_control and "private" in cache_control, (name, role, method)
        if method == "POST" and name == "logout" and user is not None:
            _log_in(client, user)


def test_superuser_without_membership_gets_404_on_clinical_records_memberships_define_access(
    client, objects
):
    verified_login(client, UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get(reverse("patient_detail", args=[objects["patient"].pk])).status_code == 404
    assert client.get(reverse("plan_detail", args=[objects["plan"].pk])).status_code == 404
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200
    assert "Runner" not in dashboard.content.decode()


def test_clinician_of_another_clinic_finds_nothing_by_searching_the_dashboard(
    client, charlie, objects
):
    client.force_login(charlie)
    page = client.get(reverse("dashboard"), {"q": "Runner"}).content.decode()
    assert "Rosa" not in page and objects["patient"].record_number not in page


# --- The patient's link: a wrong, expired or revoked token shows nothing -----------------


def _wrong(objects):
    token = objects["token"]
    return ("A" if token[0] != "A" else "B") + token[1:]  # one character off


def _expired(objects):
    plan = plan_end(plan=objects["plan"])
    days = plan.patient.clinic.patient_link_days
    plan.ends_on = timezone.localdate() - timezone.timedelta(days=days + 1)
    plan.save(update_fields=["ends_on"])
    return objects["token"]


def _revoked(objects):
    patient_link_revoke(link=objects["plan"].patient_link, clinician=objects["plan"].created_by)
    return objects["token"]


@pytest.mark.parametrize("url_name", ["patient_plan_page", "patient_plan_pdf"])
@pytest.mark.parametrize("spoil", [_wrong, _expired, _revoked], ids=["wrong", "expired", "revoked"])
def test_dead_patient_link_is_a_404_that_reveals_nothing(client, objects, url_name, spoil):
    """Only the clinic line (whom to call) tells a once-real token from a guessed one."""
    token = spoil(objects)
    url = reverse(url_name, args=[token])
    guessed = client.get(reverse(url_name, args=["no-such-token"])).content.decode()
    clinic = objects["patient"].clinic
    call = f"Please call {clinic.name} on"
    for response in (client.get(url), client.post(url, {"exercise_pain": "3"})):
        assert response.status_code == 404
        body = response.content.decode()
        for secret in ("Rosa", "Runner", objects["patient"].record_number, token):
            assert secret not in body
        if spoil is _wrong:
            assert body == guessed
        else:
            assert call in body and call not in guessed
            assert re.sub(r"<p>Please.*?</p>", "", body, flags=re.S) == re.sub(
                r"<p>Please.*?</p>", "", guessed, flags=re.S
            )
    assert not objects["plan"].session_logs.exists()


def test_live_patient_link_shows_the_first_name_only(client, objects):
    page = client.get(reverse("patient_plan_page", args=[objects["token"]])).content.decode()
    assert "Rosa" in page and "Runner" not in page


# --- The Django admin (left out of the walk above) ---------------------------------------


@pytest.mark.parametrize(
    ("role", "index", "changelist"),
    [
        ("anonymous", "admin-login", "admin-login"),
        ("clinician_a", "admin-login", "admin-login"),
        ("clinician_b", "admin-login", "admin-login"),
        ("clinic_admin_a", 200, 403),
        ("superuser_no_membership", 200, 200),
    ],
)
def test_admin_site_opens_only_for_staff(
    client, objects, clinic, other_clinic, alice, charlie, role, index, changelist
):
    user = _user_for(role, clinic, other_clinic, alice, charlie)
    if user is not None:
        _log_in(client, user)
    for url, want in (
        (reverse("admin:index"), index),
        (reverse("admin:clinic_patient_changelist"), changelist),
    ):
        response = client.get(url)
        if want == "admin-login":
            assert response.status_code == 302, (role, url)
            # The admin's own login, or the site's (LoginRequiredMiddleware answers first).
            assert response.url.startswith((reverse("admin:login"), reverse("login"))), (role, url)
        else:
            assert response.status_code == want, (role, url)
        assert "Runner" not in response.content.decode() or role == "superuser_no_membership"
