"""Dates in words for pages that show many: Django's ``|date`` cost some 0.04 ms each (it
parses the format and looks up the month's name every time); the plan page shows thirty, the
dashboard some fifty (its patient table, inbox, due and seen-recently lists).

``{{ value|day:"j M Y" }}`` says what ``value|date:"j M Y"`` says, a datetime in the current
time zone; ``{{ value|day_time:"j M Y" }}`` adds the local time as ``H:i`` does, and
``day_time_seconds`` as ``H:i:s`` (the history's fifty rows). A day's words are formatted once
per day, format and language (a date, never whose date it is).
"""

import datetime as dt
from functools import lru_cache

from django import template
from django.utils import dateformat, translation

register = template.Library()


@lru_cache(maxsize=4096)
def _words(day: dt.date, format: str, language: str | None) -> str:
    """The language is part of the key: a month's name is translated."""
    return dateformat.format(day, format)


@register.filter(expects_localtime=True)
def day(value: dt.date | None, format: str = "j M Y") -> str:
    """A date, or a datetime's local day, in ``format`` (date parts only); "" for none."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    return _words(value, format, translation.get_language())


def _day_and_time(value: dt.datetime | None, format: str, clock: str) -> str:
    if value in (None, ""):
        return ""
    return f"{day(value, format)} {value.strftime(clock)}"


@register.filter(expects_localtime=True)
def day_time(value: dt.datetime | None, format: str = "j M Y") -> str:
    """A datetime's local day in ``format`` and its local time (``H:i``); "" for none."""
    return _day_and_time(value, format, "%H:%M")


@register.filter(expects_localtime=True)
def day_time_seconds(value: dt.datetime | None, format: str = "j M Y") -> str:
    """A datetime's local day in ``format`` and its local time (``H:i:s``); "" for none."""
    return _day_and_time(value, format, "%H:%M:%S")
