"""The only URL fetcher the PDF renderer uses: the project's static files, nothing else.

It serves the static files (found through ``django.contrib.staticfiles`` finders) under
``ASSET_BASE_URL`` and refuses everything else: no network, no ``file://``, no ``data:`` other
than the progress charts we draw. Text a user typed is escaped by the template, and even a URL
that slipped through could fetch nothing.
"""

from __future__ import annotations

import base64
import posixpath
from urllib.parse import unquote, urlsplit

import weasyprint
from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcherResponse

# A reserved, never-resolving origin (RFC 2606 ".invalid"): relative asset paths in the template
# resolve under it and the fetcher maps them to static files. Nothing is ever requested from it.
ASSET_BASE_URL = "https://assets.pdf.invalid/"
ASSET_TYPES = {
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}
CHART_DATA_PREFIX = "data:image/svg+xml;base64,"


class PdfAssetRefused(ValueError):
    """The renderer asked for something other than one of the project's static files."""


class StaticAssetFetcher(weasyprint.URLFetcher):
    """Serve ``ASSET_BASE_URL/<path>`` from the static files finders; refuse anything else.

    Refusals raise ``PdfAssetRefused`` (a ``ValueError``): WeasyPrint logs a warning and leaves
    the resource out, so a missing illustration never stops a plan from printing.
    """

    def fetch(self, url, headers=None):
        if url.startswith(CHART_DATA_PREFIX):
            # Progress charts are SVG drawn by rehab.charts, embedded by our own template; typed
            # text is escaped, so it can never become such a URI.
            body = base64.b64decode(url.removeprefix(CHART_DATA_PREFIX), validate=True)
            return URLFetcherResponse(url, body, headers={"Content-Type": "image/svg+xml"})
        path = self.static_path(url)
        found = finders.find(path)
        if not found:
            raise PdfAssetRefused(f"No static file {path!r}")
        with open(found, "rb") as handle:
            body = handle.read()
        return URLFetcherResponse(
            url, body, headers={"Content-Type": ASSET_TYPES[_extension(path)]}
        )

    @staticmethod
    def static_path(url: str) -> str:
        """The static file path behind an asset URL, or ``PdfAssetRefused``."""
        if not url.startswith(ASSET_BASE_URL):
            raise PdfAssetRefused(f"Only the project's static files are fetched, not {url!r}")
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            raise PdfAssetRefused(f"Unexpected query or fragment in {url!r}")
        raw = unquote(parts.path).lstrip("/")
        path = posixpath.normpath(raw) if raw else ""
        if (
            not path
            or path != raw
            or path.startswith("..")
            or "\\" in path
            or "\x00" in path
            or _extension(path) not in ASSET_TYPES
        ):
            raise PdfAssetRefused(f"Not a static asset path: {url!r}")
        return path


def _extension(path: str) -> str:
    return posixpath.splitext(path)[1].lower()
