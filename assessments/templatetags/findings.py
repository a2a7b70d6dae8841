import re

from django import template
from django.utils.html import format_html, format_html_join

from assessments.differential.panel import source_in_words, weight_in_words
from assessments.vocabulary import load_vocabulary
from clinic.knowledge import RedFlagInfo, red_flags

register = template.Library()


@register.filter
def red_flag(code: str) -> RedFlagInfo:
    """The registry's entry for a red-flag code: its name, urgency and the runner's words."""
    return red_flags().get(code)


@register.filter
def in_words(codes) -> str:
    """Field names and cause codes as a person reads them: the question, or the cause's name."""
    vocabulary = load_vocabulary()
    if isinstance(codes, list | tuple):
        return "; ".join(vocabulary.in_words(str(c)) for c in codes)
    return vocabulary.in_words(str(codes))


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


_CODE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def _codes_in_words(text: str) -> str:
    """Knowledge notes name causes and fields by code; say them as the vocabulary does."""
    vocabulary = load_vocabulary()
    return _CODE.sub(lambda m: vocabulary.in_words(m.group()), text)


def _reason(item) -> tuple:
    field = load_vocabulary().field(item["field"])
    value = item["value"]
    return (
        field.question,
        field.words(tuple(value) if isinstance(value, list) else value),
        weight_in_words(item["weight"]),
        _codes_in_words(source_in_words(item["source"])),
    )


@register.simple_tag
def contributions(items, css_class: str, label: str):
    """A cause's for/against findings, each weight said in words with its source one tap away
    (built in Python: the live panel renders dozens of these on every change)."""
    if not items:
        return ""
    rows = format_html_join(
        "",
        '<li>{}: <strong>{}</strong> <details class="weight"><summary>{}</summary>'
        '<span class="text-muted">{}</span></details></li>',
        (_reason(i) for i in items),
    )
    return format_html(
        '<p class="small mb-0 mt-1 {}">{}:</p><ul class="small mb-1 reasons">{}</ul>',
        css_class,
        label,
        rows,
    )
