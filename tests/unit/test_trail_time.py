"""The history page's own time filter says exactly what Django's ``|date`` said."""

import datetime as dt

from django.template.defaultfilters import date
from django.utils import timezone, translation

from records.templatetags.trail import trail_time

MOMENTS = [
    dt.datetime(2026, 1, 5, 0, 0, 1, tzinfo=dt.UTC),
    dt.datetime(2026, 3, 29, 0, 59, 59, tzinfo=dt.UTC),  # the night the clocks go forward
    dt.datetime(2026, 12, 31, 23, 30, 0, 123456, tzinfo=dt.UTC),
]


def test_the_trail_time_is_djangos_date_in_the_current_time_zone_and_language():
    for zone in ("UTC", "Europe/London", "Australia/Sydney", "America/Los_Angeles"):
        for language in ("en", "de"):
            with timezone.override(zone), translation.override(language):
                for moment in MOMENTS:
                    expected = date(timezone.template_localtime(moment), "j M Y H:i:s")
                    assert trail_time(moment) == expected, (zone, language, moment)
