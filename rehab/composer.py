"""Writes that compose a plan's phase: add, remove and reorder items, save the phase as a clinic
template, start a plan from a template or from the patient's earlier plan.

What may go in is the engine's rule (``rehab.engine.compose``): the protocol's ladders up to the
phase's ceiling freely; any other ladder only at its first step and with the PT's reason; never
a step above the ceiling. A template or an earlier plan is checked item by item against this
plan's tissue and phase when it is used: what does not fit is reported, never dropped silently.
"""

from dataclasses import dataclass, field
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from rehab import engine
from rehab.engine.compose import StepFit, step_fit
from rehab.models import Plan, PlanTemplate, Prescription
from rehab.services import _dose_fields, check_cleared_to_run, plan_create, plan_touch

DOSE_FIELDS = Prescription.DOSE_FIELDS
_TEXT_DOSE = {"reps", "tempo", "load", "session"}  # blank, never None, when not set


def item_fit(*, plan: Plan, step_code: str) -> StepFit:
    """The composer's rule for one step in the plan's current phase (KeyError: unknown step)."""
    return step_fit(engine.protocol(plan.diagnosis), plan.current_phase, engine.step(step_code))


def _refuse_if_ended(plan: Plan, field_name: str) -> None:
    if plan.status == Plan.Status.ENDED:
        raise ValidationError({field_name: "This plan has ended: its items no longer change."})


def _check_item(*, plan: Plan, step_code: str, reason: str, field_name: str) -> StepFit:
    """The step's fit, or ``ValidationError`` on ``field_name`` (or ``outside_reason``)."""
    try:
        fit = item_fit(plan=plan, step_code=step_code)
    except KeyError:
        raise ValidationError({field_name: "Choose a step from the library."}) from None
    if fit.refusal:
        raise ValidationError({field_name: fit.refusal})
    check_cleared_to_run(plan=plan, step=fit.step, field=field_name)
    if fit.needs_reason and not reason.strip():
        raise ValidationError(
            {
                "outside_reason": f"{fit.step.name} is outside the protocol for phase "
                f"{plan.current_phase}: say why you are adding it."
            }
        )
    return fit


def _ordered(plan: Plan) -> list[Prescription]:
    return list(Prescription.objects.filter(plan=plan).order_by("position", "pk"))


@transaction.atomic
def plan_item_add(*, plan: Plan, step_code: str, outside_reason: str = "") -> Prescription:
    """Add a ladder step from the library at the end of the phase, with its standard dose.

    Raises ``ValidationError`` on ``step_code`` for a step the phase refuses, a ladder already in
    the plan (its card changes its step) or the running ladder, and on ``outside_reason`` when an
    item outside the protocol comes without a reason. Nothing is saved then.
    """
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    _refuse_if_ended(plan, "step_code")
    fit = _check_item(plan=plan, step_code=step_code, reason=outside_reason, field_name="step_code")
    step = fit.step
    if plan.prescriptions.filter(ladder=step.ladder).exists():
        raise ValidationError(
            {
                "step_code": f"{engine.ladder(step.ladder).name} is already in this phase: "
                "change its step on its card."
            }
        )
    items = _ordered(plan)
    prescription = Prescription(
        plan=plan,
        ladder=step.ladder,
        step_code=step.code,
        outside_reason=outside_reason.strip() if fit.needs_reason else "",
        position=len(items),
        step_since=timezone.localdate(),
        **_dose_fields(step.dose),
    )
    prescription.full_clean(exclude=["plan"])
    prescription.save()
    _renumber([*items, prescription])
    plan_touch(plan=plan)
    return prescription


@transaction.atomic
def plan_item_remove(*, prescription: Prescription) -> None:
    """Take an item out of the phase (its history and decisions stay in the change history).

    The running ladder stays: every plan says how much to run, even "no running".
    """
    _refuse_if_ended(prescription.plan, "prescription")
    if prescription.ladder == "running":
        raise ValidationError(
            {"prescription": "Running stays in every plan: set its step on its card instead."}
        )
    plan = prescription.plan
    prescription.delete()
    _renumber(_ordered(plan))
    plan_touch(plan=plan)


@transaction.atomic
def plan_item_move(*, prescription: Prescription, direction: Literal["up", "down"]) -> None:
    """Move an item one place up or down the phase's order (the order of the PDF's cards)."""
    plan = Plan.objects.select_for_update().get(pk=prescription.plan_id)
    _refuse_if_ended(plan, "direction")
    items = _ordered(plan)
    index = next(i for i, item in enumerate(items) if item.pk == prescription.pk)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(items):
        raise ValidationError({"direction": "This item cannot move further that way."})
    items[index], items[other] = items[other], items[index]
    _renumber(items)
    plan_touch(plan=plan)


def _renumber(items: list[Prescription]) -> None:
    """Positions 0, 1, 2 ... in this order, saving only the rows whose place changed."""
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position", "version"])


@transaction.atomic
def plan_template_save(*, plan: Plan, name: str, clinician) -> PlanTemplate:
    """Save the plan's current phase as a template of its clinic: each item's ladder, step,
    dose, order and outside reason, not the notes written for this runner."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the template."})
    clinic = plan.patient.clinic
    items = [
        {
            "ladder": item.ladder,
            "step_code": item.step_code,
            "outside_reason": item.outside_reason,
            **{name: getattr(item, name) for name in DOSE_FIELDS},
        }
        for item in _ordered(plan)
    ]
    template = PlanTemplate(
        clinic=clinic,
        name=name,
        diagnosis=plan.diagnosis,
        phase=plan.current_phase,
        items=items,
        created_by=clinician,
    )
    template.full_clean(exclude=["clinic", "name"])
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise ValidationError(
            {"name": f"The clinic already has a template called {name!r}: choose another name."}
        ) from None
    return template


@dataclass
class StartReport:
    """What starting from a template or an earlier plan did: the items set, the ones that did
    not fit this plan's tissue and phase (with why), and the ones taken out."""

    source: str
    set: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


@transaction.atomic
def plan_create_started_from(
    *, assessment, clinician, weekly_km=None, template=None, source=None
) -> tuple[Plan, StartReport | None]:
    """``plan_create``, then its phase 1 started from a clinic ``template`` or the patient's
    earlier plan ``source`` (each checked against the new plan's tissue and phase); all or
    nothing."""
    plan = plan_create(assessment=assessment, clinician=clinician, weekly_km=weekly_km)
    if template is not None:
        return plan, plan_start_from_template(plan=plan, template=template)
    if source is not None:
        return plan, plan_copy_from(plan=plan, source=source)
    return plan, None


def plan_start_from_template(*, plan: Plan, template: PlanTemplate) -> StartReport:
    """The plan's phase becomes the template's items that fit (``plan_start_from_items``)."""
    if template.clinic_id != plan.patient.clinic_id:
        raise ValidationError({"source": "Choose a template of this plan's clinic."})
    return _start_from(plan=plan, items=template.items, source=f"template “{template.name}”")


def plan_copy_from(*, plan: Plan, source: Plan) -> StartReport:
    """The plan's phase becomes the items of the same patient's earlier plan that fit, with the
    notes written for this runner."""
    if source.patient_id != plan.patient_id or source.pk == plan.pk:
        raise ValidationError({"source": "Choose another plan of the same patient."})
    items = [
        {
            "ladder": item.ladder,
            "step_code": item.step_code,
            "outside_reason": item.outside_reason,
            "note": item.note,
            **{name: getattr(item, name) for name in DOSE_FIELDS},
        }
        for item in _ordered(source)
    ]
    started = source.starts_on.strftime("%-d %b %Y")
    return _start_from(
        plan=plan, items=items, source=f"the {source.get_diagnosis_display()} plan of {started}"
    )


@transaction.atomic
def _start_from(*, plan: Plan, items: list[dict], source: str) -> StartReport:
    """Set the plan's phase to ``items``, each checked like an item added from the library.

    An item that fits replaces the plan's item on its ladder (step, dose, order, reason; a new
    step counts from today) or is added; one that does not fit is reported and the plan's own
    item on that ladder, if any, stays. Items on ladders the source does not name are taken out,
    except running. All or nothing: a value out of range leaves the plan as it was.
    """
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    _refuse_if_ended(plan, "source")
    report = StartReport(source=source)
    current = {item.ladder: item for item in _ordered(plan)}
    order: list[Prescription] = []
    named: set[str] = set()
    today = timezone.localdate()
    for spec in items:
        code = spec.get("step_code", "")
        named.add(spec.get("ladder", ""))
        try:
            fit = _check_item(
                plan=plan,
                step_code=code,
                reason=spec.get("outside_reason", ""),
                field_name="step_code",
            )
        except ValidationError as refusal:
            name = engine.step(code).name if code in engine.knowledge().steps else code
            report.refused.append(f"{name}: {' '.join(refusal.messages)}")
            continue
        step = fit.step
        if any(item.ladder == step.ladder for item in order):
            report.refused.append(f"{step.name}: its ladder is already set by an earlier item.")
            continue
        named.add(step.ladder)
        item = current.get(step.ladder) or Prescription(plan=plan, ladder=step.ladder)
        if item.pk is None or item.step_code != step.code:
            item.step_since = today
        item.step_code = step.code
        item.outside_reason = spec.get("outside_reason", "").strip() if fit.needs_reason else ""
        if "note" in spec:
            item.note = spec["note"]
        for name in DOSE_FIELDS:
            item_value = spec.get(name)
            setattr(item, name, "" if item_value is None and name in _TEXT_DOSE else item_value)
        item.full_clean(exclude=["plan"])
        item.save()
        order.append(item)
        report.set.append(step.name)
    for ladder, item in current.items():
        if ladder not in named and ladder != "running":
            report.removed.append(engine.step(item.step_code).name)
            item.delete()
    # The source's order, then the plan's items it did not replace (running, refused ladders).
    placed = {item.pk for item in order}
    _renumber([*order, *(item for item in _ordered(plan) if item.pk not in placed)])
    plan_touch(plan=plan)
    return report
