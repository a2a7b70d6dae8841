from django import template
from django.utils.html import format_html, format_html_join

from clinic.knowledge import RedFlagInfo, red_flags

register = template.Library()


@register.filter
def red_flag(code: str) -> RedFlagInfo:
    """The registry's entry for a red-flag code: its name, urgency and the runner's words."""
    return red_flags().get(code)


@register.filter
def as_words(code) -> str:
    """A vocabulary code in plain words: 'sit_bone' -> 'sit bone', True -> 'yes'."""
    if isinstance(code, bool):
        return "yes" if code else "no"
    if isinstance(code, list | tuple):
        return ", ".join(as_words(c) for c in code)
    return str(code).replace("_", " ")


@register.filter
def percent(probability) -> str:
    """A probability as a percentage that never claims certainty the model cannot have."""
    value = float(probability) * 100
    if value > 99:
        return ">99%"
    if 0 < value < 1:
        return "<1%"
    return f"{value:.0f}%"


@register.simple_tag
def contributions(items, css_class: str, label: str):
    """A cause's for/against findings with weight and source (built in Python: the live panel
    renders dozens of these on every change)."""
    if not items:
        return ""
    rows = format_html_join(
        "",
        '<li>{} = {} <span class="text-muted">({}; {})</span></li>',
        (
            (as_words(i["field"]), as_words(i["value"]), f"{i['weight']:.2f}", i["source"])
            for i in items
        ),
    )
    return format_html(
        '<p class="small mb-0 mt-1 {}">{}:</p><ul class="small mb-1">{}</ul>',
        css_class,
        label,
        rows,
    )
