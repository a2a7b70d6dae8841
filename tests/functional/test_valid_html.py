"""Every page a clinician, a clinic admin and a runner can open is valid HTML (Nu HTML checker).

The pages come from the access tables (tests/accessibility_pages.py), so a new page is checked
without being added here. Their HTML, as the Django test client gets it, is written to a
temporary folder and the checker (``vnu-jar`` from npm, installed by ``make install-dev`` from
package-lock.json) validates them all in one Java run. Errors fail the test with the page, line
and message; warnings are printed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from tests.accessibility_pages import admin_pages, clinic_admin, clinician_pages, runner_pages
from tests.functional.test_audit_every_read import clinic_a, every_record  # noqa: F401
from tests.functional.test_url_access_matrix import _quick_pdf, objects  # noqa: F401

VNU = (
    Path(__file__).resolve().parents[2] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)


def _validate(pages: dict[str, str], folder: Path) -> list[dict]:
    """Run the checker once over every page; its messages, each naming the page's URL."""
    if not VNU.exists():
        pytest.fail(f"no Nu HTML checker at {VNU}: run `make install-dev` (npm ci)")
    java = shutil.which("java")
    if java is None:
        pytest.fail("no java on PATH: the Nu HTML checker needs a Java runtime (17 or later)")
    files = {}
    for index, (url, html) in enumerate(pages.items()):
        path = folder / f"page-{index:03d}.html"
        path.write_text(html, encoding="utf-8")
        files[path.name] = url
    run = subprocess.run(  # noqa: S603 (a fixed command over files this test wrote)
        [java, "-jar", str(VNU), "--format", "json", "--exit-zero-always", *sorted(files)],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    messages = json.loads(run.stderr)["messages"]
    for message in messages:
        name = message.get("url", "?").rsplit("/", 1)[-1]
        message["page"] = files.get(name, name)
    return messages


def _pages_html(urls: list[str], client: Client) -> dict[str, str]:
    return {url: client.get(url).content.decode() for url in urls}


def test_every_page_is_valid_html(every_record, tmp_path, capsys):  # noqa: F811
    alice = every_record["signed"].clinician
    clinician = Client()
    clinician.force_login(alice)
    pages = _pages_html(clinician_pages(every_record, alice), clinician)
    dana = clinic_admin(every_record["patient"].clinic)
    admin_client = Client()
    admin_client.force_login(dana)
    pages |= _pages_html(admin_pages(dana), admin_client)
    pages |= _pages_html(runner_pages(every_record), Client())

    messages = _validate(pages, tmp_path)
    errors = [m for m in messages if m["type"] != "info" or m.get("subType") == "fatal"]
    warnings = [m for m in messages if m not in errors]
    with capsys.disabled():
        print(
            f"\nNu HTML checker: {len(pages)} pages, {len(errors)} errors, {len(warnings)} warnings"
        )
        by_message: dict[str, list[str]] = {}
        for warning in warnings:
            by_message.setdefault(warning["message"], []).append(warning["page"])
        for message, where in sorted(by_message.items(), key=lambda item: -len(item[1])):
            pages_named = sorted(set(where))
            shown = ", ".join(pages_named[:4]) + (", ..." if len(pages_named) > 4 else "")
            print(f"  warning x{len(where)}: {message} (on {shown})")
    assert not errors, "\n".join(
        f"{m['page']}:{m.get('lastLine', '?')}: {m['message']} [{m.get('extract', '').strip()}]"
        for m in errors
    )


def test_the_checker_reports_the_markup_the_gate_exists_for(tmp_path):
    """The gate can fail: crispy-bootstrap5's <legend for> and a tel: link with spaces."""
    page = (
        '<!doctype html><html lang="en"><head><title>t</title></head><body><form><fieldset>'
        '<legend for="x">Side</legend></fieldset></form><a href="tel:+44 20 7946">call</a>'
        "</body></html>"
    )
    errors = [m["message"] for m in _validate({"/bad/": page}, tmp_path) if m["type"] == "error"]
    assert any("“for” not allowed on element “legend”" in e for e in errors), errors
    assert any("Space is not allowed" in e for e in errors), errors
