"""The plan composer's pages: the library, and the posts that add, move and remove items, save
the phase as a clinic template and start it from a template or an earlier plan.

Thin: reads through the scoped selectors (another clinic's plan is a 404), writes through
``rehab.composer``; each post acts once per form shown (``once_per_submission``).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clinic.submissions import once_per_submission, submission_made
from rehab import engine
from rehab.composer import (
    StartReport,
    plan_copy_from,
    plan_item_add,
    plan_item_move,
    plan_item_remove,
    plan_start_from_template,
    plan_template_save,
)
from rehab.forms_composer import (
    ItemAddForm,
    ItemMoveForm,
    LibrarySearchForm,
    StartFromForm,
    TemplateSaveForm,
)
from rehab.selectors import (
    get_plan_for_user,
    get_plan_template_for_clinic,
    get_prescription_for_user,
    plan_library,
)


def composer_context(plan, prescriptions) -> dict:
    """What the plan page needs to compose the phase: which items are outside the protocol,
    and the forms to save the phase as a template or start it from one (none without a
    template or an earlier plan to start from, when the plan was read knowing that:
    ``get_plan_for_plan_page``)."""
    protocol = engine.protocol(plan.diagnosis)
    return {
        "outside": {
            p.pk
            for p in prescriptions
            if engine.compose.ladder_standing(protocol, plan.current_phase, p.ladder)[0]
            != "in_protocol"
        },
        "template_form": TemplateSaveForm(auto_id="id_template_%s"),
        "start_from_form": StartFromForm(plan=plan, auto_id="id_start_%s")
        if getattr(plan, "may_start_from", True)
        else None,
    }


def _library_page(request, plan, *, add_form=None, status=200):
    search = LibrarySearchForm(request.GET or None)
    query, show = search.search()
    failed_step = add_form.data.get("step_code") if add_form is not None else None
    entries = [
        (
            entry,
            add_form
            if entry.step.code == failed_step
            else ItemAddForm(
                initial={"step_code": entry.step.code}, auto_id=f"id_add_{entry.step.code}_%s"
            ),
        )
        for entry in plan_library(plan=plan, query=query, show=show)
    ]
    context = {
        "plan": plan,
        "patient": plan.patient,
        "phase": engine.protocol(plan.diagnosis).phase(plan.current_phase),
        "search": search,
        "entries": entries,
        "add_form": add_form,
        "query": query,
        "show": show,
    }
    return render(request, "rehab/plan_library.html", context, status=status)


def plan_library_view(request, pk):
    """Every ladder step and activity, searchable, filtered by what the phase allows."""
    plan = get_plan_for_user(user=request.user, pk=pk)
    return _library_page(request, plan)


@require_POST
@once_per_submission
def plan_item_add_view(request, pk):
    plan = get_plan_for_user(user=request.user, pk=pk)
    step_code = request.POST.get("step_code", "")
    form = ItemAddForm(request.POST, auto_id=f"id_add_{step_code}_%s")
    if form.is_valid():
        try:
            item = plan_item_add(plan=plan, **_without_key(form.cleaned_data))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            submission_made(request, plan)
            messages.success(request, f"{engine.step(item.step_code).name} added to the phase.")
            return redirect(plan)
    return _library_page(request, plan, add_form=form, status=400)


@require_POST
@once_per_submission
def plan_item_move_view(request, pk):
    prescription = get_prescription_for_user(user=request.user, pk=pk)
    plan = prescription.plan
    form = ItemMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Direction: choose up or down. Nothing was moved.")
        return redirect(plan)
    try:
        plan_item_move(prescription=prescription, direction=form.cleaned_data["direction"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        submission_made(request, plan)
    return redirect(f"{plan.get_absolute_url()}#prescriptions")


@require_POST
@once_per_submission
def plan_item_remove_view(request, pk):
    prescription = get_prescription_for_user(user=request.user, pk=pk)
    plan = prescription.plan
    name = engine.step(prescription.step_code).name
    try:
        plan_item_remove(prescription=prescription)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        submission_made(request, plan)
        messages.success(request, f"{name} taken out of the phase (kept in the history).")
    return redirect(plan)


@require_POST
@once_per_submission
def plan_template_save_view(request, pk):
    plan = get_plan_for_user(user=request.user, pk=pk)
    form = TemplateSaveForm(request.POST)
    if form.is_valid():
        try:
            template = plan_template_save(
                plan=plan, name=form.cleaned_data["name"], clinician=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            submission_made(request, plan)
            messages.success(request, f"Saved as the clinic template “{template.name}”.")
            return redirect(plan)
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else "Template"
        messages.error(request, f"{label}: {' '.join(errors)} No template was saved.")
    return redirect(plan)


@require_POST
@once_per_submission
def plan_start_from_view(request, pk):
    plan = get_plan_for_user(user=request.user, pk=pk)
    form = StartFromForm(request.POST, plan=plan)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, f"Start this phase from: {' '.join(errors)} Nothing changed.")
        return redirect(plan)
    kind, source_pk = form.cleaned_data["source"]
    try:
        if kind == "template":
            template = get_plan_template_for_clinic(clinic_id=plan.patient.clinic_id, pk=source_pk)
            report = plan_start_from_template(plan=plan, template=template)
        else:
            source = get_plan_for_user(user=request.user, pk=source_pk)
            report = plan_copy_from(plan=plan, source=source)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(plan)
    submission_made(request, plan)
    report_start(request, report)
    return redirect(plan)


def report_start(request, report: StartReport) -> None:
    """Every item's fate in words: set, not fitting (and why), taken out."""
    messages.success(
        request,
        f"Started this phase from {report.source}: {'; '.join(report.set) or 'no item fitted'}.",
    )
    if report.removed:
        messages.info(request, f"Taken out (kept in the history): {'; '.join(report.removed)}.")
    if report.refused:
        messages.warning(
            request,
            "Not added, because this plan's tissue and phase do not allow them: "
            + " ".join(report.refused),
        )


def _without_key(cleaned: dict) -> dict:
    return {name: value for name, value in cleaned.items() if name != "submission_key"}
