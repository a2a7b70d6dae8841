"""A record's page by its id, for pages that link many records (the dashboard links some fifty):
``reverse()`` takes some 20 µs a call, matching the URL pattern to the arguments every time.

The URL around the id is the same for every id, so it is reversed once per URL name, script
prefix and URLconf (what a request or a setting can change) and the id is put in its place.
Nothing about any record is kept: a URL name and the text around an id.
"""

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

# The id reversed in place of a real one; no record's id reaches it.
_MARKER = 987_654_321_987_654


@lru_cache(maxsize=256)
def _around_the_id(name: str, prefix: str, urlconf) -> tuple[str, str]:
    """The URL before and after the id. ``prefix`` is this thread's script prefix, which
    ``reverse`` reads itself: it is in the key so that another prefix is reversed anew."""
    head, _, tail = reverse(name, args=[_MARKER], urlconf=urlconf).rpartition(str(_MARKER))
    return head, tail


def url_for_id(name: str, pk: int) -> str:
    """``reverse(name, args=[pk])`` for a URL whose only argument is an ``<int:...>`` id."""
    if type(pk) is not int:  # None (an unsaved record) or a bool: reverse()'s own answer
        return reverse(name, args=[pk])
    head, tail = _around_the_id(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    return f"{head}{pk}{tail}"
