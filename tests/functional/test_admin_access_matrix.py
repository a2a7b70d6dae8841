"""The Django admin as a clinic admin of clinic A sees it, for every model it registers.

Nothing here is listed by hand: the models are read from ``admin.site._registry`` and their
relation fields from ``_meta``. Clinic A's admin ("dana", staff, holding every permission so
permissions are not what stops her) tries every admin action on clinic B's rows, and every
relation field of every form with clinic B's row in it:

- changelist (GET, and POST of the delete action on B's row), add, change, delete, history
  and simple-history's version page, each GET and POST;
- add and change posted with another clinic's id in each relation field (and once with clinic
  A's id, so the refusal is the scope, not a broken form);
- the raw-id label read from ``add/?<field>=<id>``, the autocomplete endpoint and
  ``/admin/r/<ct>/<id>/``;
- every other URL a registered admin adds (``get_urls()``), filled with B's row.

Each answer is a 403, a 404, the admin's "does not exist" redirect, or a form error naming the
field; B's names never appear; nothing in the database changes. Admins with no clinic scope
(users, groups, devices, lockouts) are superuser-only: 403 for every action. A model registered
without a row of each clinic in ``world`` fails ``test_every_registered_model_and_relation_*``.
"""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.signals import request_started
from django.db import transaction
from django.db.models import ForeignObjectRel
from django.dispatch import receiver
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from assessments.models import RedFlagClearance
from assessments.services import clear_red_flag
from clinic.admin import ClinicScopedAdmin, ClinicScopedInline, SuperuserOnlyAdmin
from clinic.models import AccessEvent, Membership
from rehab import outcomes
from rehab.composer import plan_template_save
from rehab.models import (
    IssueRequest,
    OutcomeMeasurement,
    PatientLinkAccess,
    ProgressionDecision,
    QuestionnaireRequest,
)
from rehab.services import plan_create, plan_issue, session_log_create
from tests.admin_forms import form_data
from tests.factories import ClinicFactory, PatientFactory, UserFactory
from tests.rehab_factories import PHT_FINDINGS, signed_assessment

PDF = b"%PDF-1.4 test"
# What clinic B's rows are called: none of it may reach clinic A's admin.
B_SECRETS = ("Hilltop", "Bertha", "Elsewhere", "HILL-0001", "charlie", "Charles", "Hillman")
# Rows the admin's own reads may add (the audit of reads), not changes to the record.
NOT_SNAPSHOTTED = {AccessEvent}
METHODS = ("GET", "POST")
MATRIX_ACTIONS = ("changelist", "add", "change", "delete", "history")  # every model, both methods

REQUESTS: list[tuple[str, str, str]] = []  # (model, action, method): what a run covered
HTTP_REQUESTS = [0]  # every request of a run, lookups and controls included


@receiver(request_started, dispatch_uid="test_admin_access_matrix.count")
def _count(sender, **kwargs):
    HTTP_REQUESTS[0] += 1


def _registered():
    return sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


SCOPED = [m for m, a in _registered() if isinstance(a, ClinicScopedAdmin)]
UNSCOPED = [m for m, a in _registered() if not isinstance(a, ClinicScopedAdmin)]


def relation_fields(model):
    """Every forward relation of the model: foreign keys, one-to-one, many-to-many."""
    return [
        f
        for f in model._meta.get_fields()
        if f.is_relation and not isinstance(f, ForeignObjectRel) and f.related_model is not None
    ]


def _clinic_world(clinic, *, clinician, patient_names, record_number):
    patient = PatientFactory(
        clinic=clinic,
        first_name=patient_names[0],
        last_name=patient_names[1],
        record_number=record_number,
    )
    signed = signed_assessment(patient=patient, clinician=clinician)
    plan = plan_create(assessment=signed, clinician=clinician)
    prescription = plan.prescriptions.exclude(ladder="running").first()
    link = plan.patient_link
    flagged = signed_assessment(
        patient=patient, clinician=clinician, findings={**PHT_FINDINGS, "cancer_history": True}
    )
    document = plan_issue(plan=plan, clinician=clinician, pdf=PDF)
    measurement = OutcomeMeasurement.objects.create(
        patient=patient,
        plan=plan,
        measure=outcomes.measures()[0].code,
        measured_on=datetime.date(2026, 11, 21),
        responses={},
        total=10,
        measures_version="test",
        recorded_by=clinician,
    )
    return {
        "clinic.Clinic": clinic,
        "clinic.Membership": Membership.objects.get(user=clinician, clinic=clinic),
        "clinic.Patient": patient,
        "clinic.AccessEvent": AccessEvent.objects.create(
            patient=patient, user=clinician, what=AccessEvent.What.PATIENT
        ),
        "assessments.Assessment": signed,
        "assessments.RedFlagClearance": clear_red_flag(
            assessment=flagged,
            code="serious_pathology",
            evidence=RedFlagClearance.Evidence.HISTORY,
            note="Treated in 2005, discharged in 2010.",
            cleared_by=clinician,
        ),
        "rehab.Plan": plan,
        "rehab.Prescription": prescription,
        "rehab.SessionLog": session_log_create(
            plan=plan,
            recorded_by=clinician,
            session_date=datetime.date(2026, 11, 20),
            exercise_pain=2,
        ),
        "rehab.ProgressionDecision": ProgressionDecision.objects.create(
            prescription=prescription,
            proposed_action="hold",
            proposed_step=prescription.step_code,
            reason="Hold",
            rule="hold",
            from_step=prescription.step_code,
            to_step=prescription.step_code,
            outcome=ProgressionDecision.Outcome.ACCEPTED,
            knowledge_version="test",
            decided_by=clinician,
        ),
        "rehab.IssuedDocument": document,
        "rehab.IssueRequest": IssueRequest.objects.create(
            plan=plan,
            requested_by=clinician,
            status=IssueRequest.Status.DONE,
            attempts=1,
            document=document,
        ),
        "rehab.PatientLink": link,
        "rehab.PatientLinkAccess": PatientLinkAccess.objects.create(link=link, what="page"),
        "rehab.OutcomeMeasurement": measurement,
        "rehab.QuestionnaireRequest": QuestionnaireRequest.objects.create(
            plan=plan,
            measure="pain_rest",
            requested_by=clinician,
            answered_at=timezone.now(),
            measurement=measurement,
        ),
        "rehab.PlanTemplate": plan_template_save(
            plan=plan, name="Early tendinopathy", clinician=clinician
        ),
        "auth.User": clinician,
        "otp_totp.TOTPDevice": TOTPDevice.objects.create(user=clinician, name="phone"),
    }


def _unscoped_rows(user):
    """Rows of the third-party admins (no clinic): a group and django-axes' lockout records."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    seen = {"user_agent": "test", "ip_address": "10.0.0.1", "username": user.username}
    seen |= {"http_accept": "*/*", "path_info": "/login/"}
    return {
        "auth.Group": Group.objects.create(name=f"group of {user.username}"),
        "axes.AccessAttempt": AccessAttempt.objects.create(
            **seen, get_data="", post_data="", failures_since_start=1
        ),
        "axes.AccessLog": AccessLog.objects.create(**seen),
        "axes.AccessFailureLog": AccessFailureLog.objects.create(**seen),
    }


@pytest.fixture
def world(db):
    """Two clinics with one row of every kind each; dana administers clinic A only."""
    a, b = ClinicFactory(name="Riverside"), ClinicFactory(name="Hilltop")
    alice = UserFactory(username="alice", first_name="Alice", last_name="Avery", clinic=a)
    charlie = UserFactory(username="charlie", first_name="Charles", last_name="Hillman", clinic=b)
    rows_a = _clinic_world(
        a, clinician=alice, patient_names=("Rosa", "Runner"), record_number="RIV-0001"
    )
    rows_b = _clinic_world(
        b, clinician=charlie, patient_names=("Bertha", "Elsewhere"), record_number="HILL-0001"
    )
    for rows, user in ((rows_a, alice), (rows_b, charlie)):
        rows.update(_unscoped_rows(user))
    dana = UserFactory(
        username="dana",
        first_name="Dana",
        last_name="Dale",
        clinic=a,
        clinic__role="clinic_admin",
        is_staff=True,
    )
    dana.user_permissions.set(Permission.objects.all())
    return {"A": rows_a, "B": rows_b, "dana": dana}


@pytest.fixture(autouse=True)
def _quick_pdf(monkeypatch):
    import rehab.pdf

    monkeypatch.setattr(rehab.pdf, "render_plan_pdf", lambda **kwargs: PDF)


@pytest.fixture
def dana_client(client, world):
    client.force_login(world["dana"])
    return client


def snapshot():
    """Every row of every model the admin could write, historical tables included."""
    state = {}
    for model in apps.get_models():
        if model in NOT_SNAPSHOTTED or model._meta.app_label in {"sessions", "admin"}:
            continue
        state[model._meta.label] = [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in model._base_manager.order_by("pk").values_list()
        ]
    return state


def url(model, action, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def assert_reveals_nothing(response, where):
    body = response.content.decode(errors="replace")
    leaked = [s for s in B_SECRETS if s in body]
    assert not leaked, f"{where}: clinic B's {leaked} in the answer"


def assert_refused(response, where):
    """403, 404, or Django's redirect for a row that does not exist (to the admin index)."""
    if response.status_code == 302:
        assert response.url == reverse("admin:index"), (where, response.url)
    else:
        assert response.status_code in (403, 404), (where, response.status_code)
    assert_reveals_nothing(response, where)


def _call(client, model, action, method, path, data=None):
    REQUESTS.append((model._meta.label, action, method))
    return client.get(path) if method == "GET" else client.post(path, data or {})


# --- Coverage: a new model or relation without rows of both clinics fails here ---------------


def test_every_registered_model_and_relation_is_covered(world):
    for model, model_admin in _registered():
        label = model._meta.label
        assert label in world["A"] and label in world["B"], (
            f"{label} is registered in the admin but has no row of each clinic in `world` "
            f"({__file__}): add one so the matrix tries it."
        )
        assert isinstance(model_admin, ClinicScopedAdmin | SuperuserOnlyAdmin), label
        if not isinstance(model_admin, ClinicScopedAdmin):
            continue  # closed to clinic admins as a whole (test_unscoped_admins_*)
        for inline in model_admin.inlines:
            assert issubclass(inline, ClinicScopedInline), f"{label}: {inline.__name__}"
        for field in relation_fields(model):
            related = field.related_model._meta.label
            assert related in world["B"], f"{label}.{field.name} → {related}: no row in `world`"


def test_the_clinic_admin_sees_her_rows_and_not_the_others(world, rf):
    request = rf.get("/")
    request.user = world["dana"]
    for model in SCOPED:
        queryset = admin.site._registry[model].get_queryset(request)
        label = model._meta.label
        assert queryset.filter(pk=world["A"][label].pk).exists(), label
        assert not queryset.filter(pk=world["B"][label].pk).exists(), label


# --- Clinic-scoped admins: every action on clinic B's row, every relation with B's id --------


@pytest.mark.parametrize("model", SCOPED, ids=lambda m: m._meta.label)
def test_clinic_admin_cannot_read_or_write_another_clinics_rows(model, world, dana_client):
    client, label = dana_client, model._meta.label
    own, theirs = world["A"][label], world["B"][label]
    before = snapshot()

    # The changelist lists only clinic A (filters included); its delete action skips B's row.
    response = _call(client, model, "changelist", "GET", url(model, "changelist"))
    assert response.status_code == 200, label
    assert_reveals_nothing(response, f"{label} changelist")
    response = _call(
        client, model, "changelist", "POST", url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [theirs.pk], "post": "yes"},
    )  # fmt: skip
    assert response.status_code in (200, 302, 403), label
    assert_reveals_nothing(response, f"{label} changelist action")

    # The add form: open (or 403 for rows only the app writes); an empty post saves nothing.
    for method in METHODS:
        response = _call(client, model, "add", method, url(model, "add"))
        assert response.status_code in (200, 403), (label, method, response.status_code)
        assert_reveals_nothing(response, f"{label} add {method}")

    # Another clinic's row: change, delete, history — GET and POST.
    for action in ("change", "delete", "history"):
        for method in METHODS:
            response = _call(client, model, action, method, url(model, action, theirs.pk))
            assert_refused(response, f"{label} {action} {method} of clinic B's row")
    if isinstance(admin.site._registry[model], SimpleHistoryAdmin):
        path = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_simple_history",
            args=[theirs.pk, theirs.history.order_by("history_id").first().history_id],
        )
        for method in METHODS:
            response = _call(client, model, "history_version", method, path)
            assert response.status_code in (403, 404), (label, method, response.status_code)
            assert_reveals_nothing(response, f"{label} history version {method}")

    # /admin/r/: the same 404 for B's row as for no row at all.
    content_type = ContentType.objects.get_for_model(model)
    response = client.get(reverse("admin:view_on_site", args=[content_type.pk, theirs.pk]))
    assert response.status_code == 404, label
    assert_reveals_nothing(response, f"{label} /admin/r/")
    missing = client.get(reverse("admin:view_on_site", args=[content_type.pk, 10**9]))
    assert response.content == missing.content, label

    assert snapshot() == before, f"{label}: the database changed"
    assert type(theirs)._base_manager.filter(pk=theirs.pk).exists()
    assert type(own)._base_manager.filter(pk=own.pk).exists()
    _assert_every_action_and_method_tried(model)


@pytest.mark.parametrize(
    ("model", "field_name"),
    [(m, f.name) for m in SCOPED for f in relation_fields(m)],
    ids=lambda v: v._meta.label if hasattr(v, "_meta") else v,
)
def test_every_relation_field_refuses_and_hides_another_clinics_row(
    model, field_name, world, dana_client
):
    client, label = dana_client, model._meta.label
    field = model._meta.get_field(field_name)
    related = field.related_model._meta.label
    own, foreign_id, own_id = world["A"][label], world["B"][related].pk, world["A"][related].pk
    where = f"{label}.{field_name} = clinic B's {related}"
    before = snapshot()
    model_admin = admin.site._registry[model]

    # The raw-id label and the initial value from the URL name nothing of clinic B.
    response = _call(client, model, "add", "GET", url(model, "add") + f"?{field_name}={foreign_id}")
    assert response.status_code in (200, 403), where
    assert_reveals_nothing(response, f"{where} (add form's label)")

    # Autocomplete for the field: clinic B's row is never a result.
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": model._meta.app_label, "model_name": model._meta.model_name,
         "field_name": field_name, "term": ""},
    )  # fmt: skip
    if response.status_code == 200:
        ids = {str(r["id"]) for r in response.json()["results"]}
        assert str(foreign_id) not in ids, where
    else:
        assert response.status_code in (403, 404), where

    # Change form of clinic A's row, posted with clinic B's id in the field.
    change_page = client.get(url(model, "change", own.pk))
    assert change_page.status_code == 200, label
    base = form_data(change_page.content.decode())
    old_value = getattr(own, field.attname) if not field.many_to_many else None
    response = _call(
        client, model, "change", "POST", url(model, "change", own.pk),
        {**base, field_name: [str(foreign_id)]},
    )  # fmt: skip
    saved_own = _assert_refused_in_form(response, field_name, where + " (change)")
    own.refresh_from_db()
    if not field.many_to_many:
        assert getattr(own, field.attname) == old_value, where
    # A read-only field is not in the form: the post saved clinic A's row with the field
    # ignored (checked just above); that row and its history may differ, nothing else.
    ignored = {label, own.history.model._meta.label} if saved_own else set()

    # Add form, filled with clinic A's row, with clinic B's id in the field; then, as a
    # control, with clinic A's own id: only the first is refused on this field.
    if model_admin.has_add_permission(_request_as(world["dana"])):
        add_page = client.get(url(model, "add"))
        data = {**form_data(add_page.content.decode()), **base}
        for name, value in _own_relations(own).items():
            data.setdefault(name, value)
        response = _call(
            client, model, "add", "POST", url(model, "add"), {**data, field_name: [str(foreign_id)]}
        )
        _assert_refused_in_form(response, field_name, where + " (add)")
        if field_name in _form_fields(response):
            control = _rolled_back_post(
                client, url(model, "add"), {**data, field_name: [str(own_id)]}
            )
            assert control.status_code == 302 or field_name not in _form_errors(control), (
                where,
                "clinic A's own id is refused too: the test does not isolate the scope",
            )
    else:
        response = _call(client, model, "add", "POST", url(model, "add"), {field_name: foreign_id})
        assert response.status_code == 403, where

    after = snapshot()
    assert {k: v for k, v in after.items() if k not in ignored} == {
        k: v for k, v in before.items() if k not in ignored
    }, f"{where}: the database changed"


class _Rollback(Exception):
    pass


def _rolled_back_post(client, path, data):
    """A post whose writes are undone: the control may save, the matrix must not change."""
    try:
        with transaction.atomic():
            response = client.post(path, data)
            raise _Rollback
    except _Rollback:
        return response


def _form_errors(response):
    context = getattr(response, "context", None)
    return context["adminform"].form.errors if context and "adminform" in context else {}


def _request_as(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return request


def _own_relations(row) -> dict[str, list[str]]:
    return {
        f.name: [str(getattr(row, f.attname))]
        for f in relation_fields(type(row))
        if not f.many_to_many and getattr(row, f.attname) is not None
    }


def _form_fields(response) -> set[str]:
    context = getattr(response, "context", None)
    if not context or "adminform" not in context:
        return set()
    return set(context["adminform"].form.fields)


def _assert_refused_in_form(response, field_name, where) -> bool:
    """403 (no permission), or the form again with an error on this very field. A field the
    form does not have (read-only) cannot be posted: the post may save the row without it
    (True; the caller checks the field did not change)."""
    assert_reveals_nothing(response, where)
    if response.status_code == 403:
        return False
    if field_name in _form_fields(response):
        assert response.status_code == 200, (where, response.status_code)
        assert field_name in response.context["adminform"].form.errors, where
        return False
    assert response.status_code in (200, 302), (where, response.status_code)
    return response.status_code == 302


# --- Admins with no clinic scope: superusers only ------------------------------------------


@pytest.mark.parametrize("model", UNSCOPED, ids=lambda m: m._meta.label)
def test_unscoped_admins_are_closed_to_clinic_admins(model, world, dana_client):
    label = model._meta.label
    rows = [world[c].get(label) for c in ("A", "B")]
    pks = [row.pk for row in rows if row is not None] or [1]
    before = snapshot()
    for method in METHODS:
        for action in ("changelist", "add"):
            response = _call(dana_client, model, action, method, url(model, action))
            assert response.status_code == 403, (label, action, method, response.status_code)
        for pk in pks:
            for action in ("change", "delete", "history"):
                try:
                    path = url(model, action, pk)
                except NoReverseMatch:
                    continue
                response = _call(dana_client, model, action, method, path)
                assert response.status_code == 403, (label, action, method, response.status_code)
    if label == "auth.User":  # the password form: taking over another clinic's account
        for pk in pks:
            path = reverse("admin:auth_user_password_change", args=[pk])
            for data in (None, {"password1": "taken-over-1", "password2": "taken-over-1"}):
                response = dana_client.post(path, data) if data else dana_client.get(path)
                assert response.status_code == 403, (label, "password", response.status_code)
    index = dana_client.get(reverse("admin:index")).content.decode()
    assert url(model, "changelist") not in index, label
    assert snapshot() == before, label
    _assert_every_action_and_method_tried(model)


# --- Every other URL a registered admin adds (password form, devices' QR code, versions) ---

STANDARD = ("changelist", "add", "change", "delete", "history")
FILL = {  # how to fill a custom admin URL's parameters with clinic B's row
    "object_id": lambda row: row.pk,
    "id": lambda row: row.pk,
    "pk": lambda row: row.pk,
    "version_id": lambda row: row.history.order_by("history_id").first().history_id,
}
POSITIONAL = {"_simple_history": ("object_id", "version_id")}


def _custom_admin_urls():
    for model, model_admin in _registered():
        prefix = f"{model._meta.app_label}_{model._meta.model_name}_"
        for pattern in model_admin.get_urls():
            if pattern.name and pattern.name not in {prefix + a for a in STANDARD}:
                yield model, pattern


@pytest.mark.parametrize(
    ("model", "pattern"), list(_custom_admin_urls()), ids=lambda v: getattr(v, "name", "")
)
def test_every_custom_admin_url_refuses_another_clinics_row(model, pattern, world, dana_client):
    theirs = world["B"][model._meta.label]
    regex = pattern.pattern.regex
    if regex.groups and not (pattern.pattern.converters or regex.groupindex):
        # An unnamed regex route (simple-history's): its parameters, in order.
        names = next((v for k, v in POSITIONAL.items() if pattern.name.endswith(k)), None)
        assert names is not None, f"{pattern.name}: add its parameters to POSITIONAL"
        path = reverse(f"admin:{pattern.name}", args=[FILL[name](theirs) for name in names])
    else:
        params = list(pattern.pattern.converters) or list(regex.groupindex)
        missing = sorted(set(params) - set(FILL))
        assert not missing, f"{pattern.name}: add how to fill {missing} to FILL"
        kwargs = {name: FILL[name](theirs) for name in params}
        path = reverse(f"admin:{pattern.name}", kwargs=kwargs)
    before = snapshot()
    for method in METHODS:
        response = _call(dana_client, model, pattern.name, method, path)
        assert_refused(response, f"{pattern.name} {method}")
    assert snapshot() == before, pattern.name


def _assert_every_action_and_method_tried(model):
    tried = {(a, meth) for m, a, meth in REQUESTS if m == model._meta.label}
    missing = [(a, meth) for a in MATRIX_ACTIONS for meth in METHODS if (a, meth) not in tried]
    assert not missing, f"{model._meta.label}: not tried {missing}"


def test_the_size_of_a_run():
    """Prints what one run covered (docs/security.md quotes it) when the whole file ran first
    (``-p no:randomly -s``); in a shuffled order it has nothing complete to count."""
    registered = {m._meta.label for m, _ in _registered()}
    if {m for m, _, _ in REQUESTS} != registered:
        pytest.skip("count with the whole file, in file order: -p no:randomly -s")
    actions = {(m, a) for m, a, _ in REQUESTS}
    cells = {(m, a, meth) for m, a, meth in REQUESTS}
    print(
        f"\nadmin access matrix: {len(registered)} models, {len(actions)} model×action pairs, "
        f"{len(cells)} model×action×method cells, {len(REQUESTS)} action requests, "
        f"{HTTP_REQUESTS[0]} HTTP requests in all"
    )
    assert len(cells) == 2 * len(actions)
