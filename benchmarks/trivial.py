"""The baseline every benchmark compares against: a view that does no work at all, mounted
beside the project's URLs so it sits behind exactly the same middleware (sessions, CSRF, login
required, two-factor, no-store). Install with ``override_settings(ROOT_URLCONF=URLCONF)``."""

import sys
import types

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

TRIVIAL_URL = "/bench-trivial/"
URLCONF = "bench_urls"


def trivial(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


bench_urls = types.ModuleType(URLCONF)
bench_urls.urlpatterns = [  # type: ignore[attr-defined]
    path(TRIVIAL_URL.strip("/") + "/", trivial, name="bench_trivial"),
    path("", include("config.urls")),
]
sys.modules[URLCONF] = bench_urls
