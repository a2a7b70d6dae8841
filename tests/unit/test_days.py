"""The plan and history pages' own date filters say exactly what Django's ``|date`` said."""

import datetime as dt

from django.template import Context, Template
from django.utils import timezone, translation

MOMENTS = [
    dt.datetime(2026, 1, 5, 0, 0, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=dt.UTC),  # the night the clocks go forward
    dt.datetime(2026, 12, 31, 23, 30, 0, 123456, tzinfo=dt.UTC),
]
PAIRS = [
    ('{{ v|day:"j M Y" }}', '{{ v|date:"j M Y" }}'),
    ('{{ v|day:"j M" }}', '{{ v|date:"j M" }}'),
    ('{{ v|day_time:"j M Y" }}', '{{ v|date:"j M Y H:i" }}'),
    ('{{ v|day_time:"j M" }}', '{{ v|date:"j M H:i" }}'),
    ('{{ v|day_time_seconds:"j M Y" }}', '{{ v|date:"j M Y H:i:s" }}'),  # the history's
]


def _render(text: str, value) -> str:
    return Template("{% load days %}" + text).render(Context({"v": value}))


def test_the_days_filters_are_djangos_date_in_the_current_time_zone_and_language():
    for zone in ("UTC", "Europe/London", "Australia/Sydney", "America/Los_Angeles"):
        for language in ("en", "de"):
            with timezone.override(zone), translation.override(language):
                for moment in MOMENTS:
                    for ours, djangos in PAIRS:
                        assert _render(ours, moment) == _render(djangos, moment), (
                            zone,
                            language,
                            moment,
                            ours,
                        )


def test_a_date_and_nothing_are_said_as_django_says_them():
    for ours, djangos in PAIRS[:2]:
        assert _render(ours, dt.date(2026, 2, 9)) == _render(djangos, dt.date(2026, 2, 9))
        assert _render(ours, None) == _render(djangos, None) == ""
