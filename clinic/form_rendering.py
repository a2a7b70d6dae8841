"""Crispy layout objects that render a choice field once per process for each state it can show.

The assessment form has some seventy radio and checkbox questions, the LEFS form twenty; crispy
renders each through four nested Bootstrap templates (an include per option), which was most of
those pages' time (benchmarks/pages.py). A choice field's HTML depends only on the field (name,
label, choices, attributes), the value shown and the layout's settings, so the HTML made the
first time is kept and reused for the same key. Crispy's templates stay the only source of the
markup: an overridden template is what gets cached. A field with an error is always rendered
afresh (errors are rare and carry the typed value's message).
"""

from __future__ import annotations

from threading import Lock
from typing import Any

from crispy_forms.bootstrap import InlineCheckboxes, InlineRadios
from crispy_forms.layout import Field
from crispy_forms.utils import TEMPLATE_PACK
from django import forms
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
_rendered: dict[tuple, SafeString] = {}
_lock = Lock()


def _key(layout: Field, form: forms.BaseForm, bound: forms.BoundField, context, pack: str):
    field = bound.field
    return (
        type(layout),
        layout.template,
        repr(layout.attrs),
        layout.wrapper_class,
        pack,
        type(form),
        form.is_bound,
        bound.html_name,
        bound.auto_id,
        str(bound.label),
        str(field.help_text),
        field.required,
        field.disabled,
        repr(field.widget.attrs),
        repr(field.choices),
        repr(bound.value()),
        tuple(repr(context.get(name)) for name in _HELPER_KEYS),
    )


class RenderedOnce:
    """Mixin for a crispy ``Field`` layout object holding one choice field."""

    def render(self, form, context, template_pack=TEMPLATE_PACK, **kwargs: Any) -> SafeString:
        layout: Field = self  # type: ignore[assignment]
        names = layout.fields
        bound = form[names[0]] if len(names) == 1 and isinstance(names[0], str) else None
        if (
            bound is None
            or bound.errors
            or not isinstance(bound.field, forms.ChoiceField)
            or isinstance(bound.field, forms.ModelChoiceField)
        ):
            return super().render(form, context, template_pack=template_pack, **kwargs)  # type: ignore[misc]
        key = _key(layout, form, bound, context, template_pack)
        html = _rendered.get(key)
        if html is None:
            html = super().render(form, context, template_pack=template_pack, **kwargs)  # type: ignore[misc]
            with _lock:
                if _rendered and len(_rendered) >= MAX_RENDERED:
                    _rendered.pop(next(iter(_rendered)))  # the oldest
                _rendered[key] = html
        elif hasattr(form, "rendered_fields"):
            form.rendered_fields.add(names[0])  # as crispy's render_field notes it
        return html


class ChoiceRadios(RenderedOnce, InlineRadios):
    """``InlineRadios`` rendered once per state (see the module docstring)."""


class ChoiceCheckboxes(RenderedOnce, InlineCheckboxes):
    """``InlineCheckboxes`` rendered once per state."""


class StackedChoice(RenderedOnce, Field):
    """A stacked choice field (radio list or select) rendered once per state."""
