"""A record's link by its id (``clinic.links.url_for_id``) is what ``reverse()`` says, under any
script prefix, in any thread and with any URLconf, however often the text around ids is reused."""

import sys
import threading
import types

import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, include, path, reverse, set_script_prefix, set_urlconf

from clinic.links import url_for_id

NAMES = ("patient_detail", "plan_detail")
IDS = (1, 7, 10, 123_456_789)

mounted = types.ModuleType("tests_links_mounted")
mounted.urlpatterns = [path("clinic-a/", include("config.urls"))]  # type: ignore[attr-defined]
sys.modules[mounted.__name__] = mounted


def _same_as_reverse() -> None:
    for name in NAMES:
        for pk in IDS:
            assert url_for_id(name, pk) == reverse(name, args=[pk])


def test_a_link_is_reverses_own_under_each_script_prefix():
    try:
        for prefix in ("/", "/physio/", "/clinic one/", "/"):
            set_script_prefix(prefix)
            _same_as_reverse()
    finally:
        set_script_prefix("/")
    assert url_for_id("patient_detail", 7) == "/patients/7/"


def test_a_threads_script_prefix_is_its_own():
    seen = {}

    def under_a_prefix():
        set_script_prefix("/elsewhere/")
        seen["url"] = url_for_id("patient_detail", 7)

    url_for_id("patient_detail", 7)
    thread = threading.Thread(target=under_a_prefix)
    thread.start()
    thread.join()
    assert seen["url"] == "/elsewhere/patients/7/"
    assert url_for_id("patient_detail", 7) == "/patients/7/"


def test_a_requests_urlconf_and_the_settings_urlconf_are_followed():
    try:
        set_urlconf(mounted.__name__)
        _same_as_reverse()
        assert url_for_id("plan_detail", 7) == "/clinic-a/plans/7/"
    finally:
        set_urlconf(None)
    with override_settings(ROOT_URLCONF=mounted.__name__):
        _same_as_reverse()
        assert url_for_id("plan_detail", 7) == "/clinic-a/plans/7/"
    assert url_for_id("plan_detail", 7) == "/plans/7/"


def test_an_unsaved_record_has_no_link_as_before():
    with pytest.raises(NoReverseMatch):
        url_for_id("patient_detail", None)
