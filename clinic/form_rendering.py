"""Crispy fields rendered once per process for each state they can show.

The assessment form has some seventy radio and checkbox questions, the LEFS form twenty, the
plan page a session form and a decision form per ladder; crispy renders each field through
nested Bootstrap templates (an include per option), which was most of those pages' time
(benchmarks/pages.py). A field's HTML depends only on the field (name, label, choices,
attributes), the value shown and the layout's settings, so the HTML made the first time is kept
and reused for the same key. Crispy's templates stay the only source of the markup: an
overridden template is what gets cached. Never cached: a field with an error (rare, and it
carries the typed value's message), a model choice (its choices are rows) and a field showing
anything but a number or a date (a patient's words, a one-time key) beyond the request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from threading import Lock
from typing import Any

from crispy_forms.bootstrap import InlineCheckboxes, InlineRadios
from crispy_forms.layout import Field
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from crispy_forms.utils import TEMPLATE_PACK, render_crispy_form
from django import forms
from django.utils import translation
from django.utils.safestring import SafeString

# Keys are few (fields x values shown); the bound only guards against a form with free choices.
MAX_RENDERED = 4096
# The crispy helper's settings a field template reads from the context.
_HELPER_KEYS = (
    "form_show_errors",
    "form_show_labels",
    "label_class",
    "field_class",
    "form_class",
    "use_custom_control",
    "html5_required",
    "form_tag",
    "include_media",
)
_KEPT_VALUES = (bool, int, float, Decimal, dt.date)
_rendered: dict[tuple, SafeString] = {}
_lock = Lock()


def _cacheable(bound: forms.BoundField) -> bool:
    if bound.errors or isinstance(bound.field, forms.ModelChoiceField):
        return False
    if isinstance(bound.field, forms.ChoiceField):
        return True
    # Empty, a number or a date: a text (a patient's words) or a one-time key is never kept.
    value = bound.value()
    return value is None or value == "" or isinstance(value, _KEPT_VALUES)


def _field_state(bound: forms.BoundField) -> tuple:
    """Everything about one field that its HTML shows."""
    field, widget = bound.field, bound.field.widget
    return (
        type(bound.form),
        bound.form.is_bound,
        bound.html_name,
        bound.auto_id,
        str(bound.label),
        str(field.help_text),
        field.required,
        field.disabled,
        type(field),
        type(widget),
        getattr(widget, "format", None),
        repr(widget.attrs),
        repr(getattr(field, "choices", None)),
        repr(bound.value()),
    )


def _once(key: tuple, render: Callable[[], SafeString]) -> SafeString:
    html = _rendered.get(key)
    if html is None:
        html = render()
        with _lock:
            if _rendered and len(_rendered) >= MAX_RENDERED:
                _rendered.pop(next(iter(_rendered)))  # the oldest
            _rendered[key] = html
    return html


def as_crispy_field_once(bound: forms.BoundField, template_pack: str = TEMPLATE_PACK) -> SafeString:
    """crispy's ``as_crispy_field`` filter, rendered once per state."""
    if not _cacheable(bound):
        return as_crispy_field(bound, template_pack)
    helper = getattr(bound.form, "helper", None)
    settings = helper.get_attributes(template_pack) if helper is not None else {}
    key = ("as_crispy_field", template_pack, repr(sorted(settings.items())), *_field_state(bound))
    return _once(key, lambda: as_crispy_field(bound, template_pack))


def blank_form_once(key: tuple, build: Callable[[], forms.Form]) -> SafeString:
    """A whole unbound crispy form, rendered once per ``key`` (which names everything ``build``
    makes it differ by: its class, a unit, a date). Building a model form and walking its
    layout cost as much as its fields did, on every plan page; the fields' HTML alone was
    already kept. Kept only when every field may be (no free text, no one-time key): otherwise
    it is rendered afresh each time."""
    key = ("blank_form", translation.get_language(), *key)
    html = _rendered.get(key)
    if html is not None:
        return html
    form = build()
    html = render_crispy_form(form)
    if not form.is_bound and all(_cacheable(form[name]) for name in form.fields):
        html = _once(key, lambda: html)
    return html


def _helper_settings(form: forms.BaseForm, context: Any) -> tuple:
    """The crispy helper's settings in ``context``, read once per render of ``form``.

    crispy renders a form's whole layout in one context of its own (the tag's copy of the page's,
    with the helper's settings added); a layout object adds only its own keys for its field
    (``wrapper_class``, ``inline_class``) and takes them away after. So every field of one
    render reads the same settings: reading ten of them through the context's stack for each
    of seventy fields took longer than looking up their HTML. Kept on the form (a request's),
    for that context only."""
    kept = form.__dict__.get("_rendered_once_settings")
    if kept is not None and kept[0] is context:
        return kept[1]
    settings = tuple(repr(context.get(name)) for name in _HELPER_KEYS)
    form._rendered_once_settings = (context, settings)  # type: ignore[attr-defined]
    return settings


class RenderedOnce:
    """Mixin for a crispy ``Field`` layout object holding one field."""

    def render(self, form, context, template_pack=TEMPLATE_PACK, **kwargs: Any) -> SafeString:
        layout: Field = self  # type: ignore[assignment]
        names = layout.fields
        bound = form[names[0]] if len(names) == 1 and isinstance(names[0], str) else None
        if bound is None or not _cacheable(bound):
            return super().render(form, context, template_pack=template_pack, **kwargs)  # type: ignore[misc]
        key = (
            type(layout),
            layout.template,
            repr(layout.attrs),
            layout.wrapper_class,
            template_pack,
            *_field_state(bound),
            _helper_settings(form, context),
        )
        rendered = [False]

        def render() -> SafeString:
            rendered[0] = True
            return super(RenderedOnce, self).render(  # type: ignore[misc]
                form, context, template_pack=template_pack, **kwargs
            )

        html = _once(key, render)
        if not rendered[0] and hasattr(form, "rendered_fields"):
            form.rendered_fields.add(names[0])  # as crispy's render_field notes it
        return html


class ChoiceRadios(RenderedOnce, InlineRadios):
    """``InlineRadios`` rendered once per state (see the module docstring)."""


class ChoiceCheckboxes(RenderedOnce, InlineCheckboxes):
    """``InlineCheckboxes`` rendered once per state."""


class FieldOnce(RenderedOnce, Field):
    """Any other field (stacked radios, a select, an input, a text area) rendered once per
    state."""
