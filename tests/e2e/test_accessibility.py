"""Accessibility gate: every page passes axe-core's WCAG 2.0/2.1/2.2 A and AA rules.

The pages come from the access tables (tests/accessibility_pages.py): every HTML page a
clinician, a clinic admin (the Django admin) and a runner (their link, no login) can open, so a
new page is checked without being added here. Each role is checked at laptop, tablet and phone
widths, one browser context per role and width. axe-core (npm, package-lock.json, installed by
``make install-dev``) is added as an init script: the browser runs it before the page's own
scripts, with no change to the Content-Security-Policy the server sends, which stays enforced
(and is checked here too: a page the checker itself made break the CSP would fail).

At 320 px every page must reflow without a horizontal scroll bar (WCAG 1.4.10). The assessment
form's differential has one live region, which stays while its words change (WCAG 4.1.3).
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.accessibility_pages import (
    REFLOW_WIDTH,
    ROLES,
    WIDTHS,
    admin_pages,
    clinic_admin,
    clinician_pages,
    runner_pages,
)
from tests.e2e.conftest import csp_violations, new_context
from tests.factories import PatientFactory
from tests.functional.test_audit_every_read import clinic_a, every_record  # noqa: F401
from tests.functional.test_url_access_matrix import _quick_pdf, objects  # noqa: F401

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

RUN_AXE = """
async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map(v => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 160)})),
  }));
}
"""

OVERFLOW = """
() => {
  const root = document.scrollingElement;
  if (root.scrollWidth <= root.clientWidth) return null;
  const clipped = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > root.clientWidth + 1 && !clipped(el))
    .slice(0, 3)
    .map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " " + el.className);
  return {scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, wide};
}
"""


def _visitor(role: str, records: dict) -> tuple[list[str], str | None]:
    """The role's pages, and the session cookie of its user (none for the runner)."""
    if role == "runner":
        return runner_pages(records), None
    if role == "clinician":
        user = records["signed"].clinician
        urls = clinician_pages(records, user)
    else:
        user = clinic_admin(records["patient"].clinic)
        urls = admin_pages(user)
    client = Client()
    client.force_login(user)
    return urls, client.cookies[settings.SESSION_COOKIE_NAME].value


def _context(browser, live_server, session: str | None):
    context = new_context(
        browser, base_url=live_server.url, viewport={"width": WIDTHS[0], "height": 900}
    )
    context.add_init_script(path=str(AXE))
    if session:
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
    return context


@pytest.fixture
def axe_available():
    if not AXE.exists():
        pytest.fail(f"no axe-core at {AXE}: run `make install-dev` (npm ci)")


@pytest.mark.parametrize("role", ROLES)
def test_every_page_passes_axe_at_three_widths_and_reflows_at_320_px(
    role,
    axe_available,
    browser,
    live_server,
    transactional_db,
    every_record,  # noqa: F811
    capsys,
):
    """One context per role; each page is loaded once and checked at each width in turn."""
    urls, session = _visitor(role, every_record)
    assert len(urls) >= 5, (role, urls)  # the walk found the role's pages
    context = _context(browser, live_server, session)
    page = context.new_page()
    started, checking = time.monotonic(), 0.0
    failures, by_rule, overflowing = [], Counter(), {}
    for url in urls:
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        response = page.goto(url)
        assert response is not None and response.status in (200, 404), (url, response)
        assert "/login/" not in page.url or role == "runner", f"{url} sent {role} to log in"
        assert csp_violations(page) == [], url  # before axe, which may add its own styles
        check_started = time.monotonic()
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            for violation in page.evaluate(RUN_AXE, WCAG_TAGS):
                by_rule[violation["rule"]] += len(violation["nodes"])
                for node in violation["nodes"]:
                    failures.append(
                        f"{url} [{role}, {width} px] {violation['rule']} ({violation['impact']}):"
                        f" {violation['help']}\n    at {node['target']}: {node['html']}"
                    )
        page.set_viewport_size({"width": REFLOW_WIDTH, "height": 900})
        overflow = page.evaluate(OVERFLOW)
        if overflow:
            overflowing[url] = overflow
        checking += time.monotonic() - check_started
    context.close()
    with capsys.disabled():
        print(
            f"\naxe {role}: {len(urls)} pages x {len(WIDTHS)} widths in"
            f" {time.monotonic() - started:.1f} s ({checking:.1f} s in axe),"
            f" {len(failures)} violations {dict(by_rule)}, {len(overflowing)} pages wider than"
            f" {REFLOW_WIDTH} px"
        )
    assert not failures, "\n".join(failures)
    assert not overflowing, f"horizontal scroll at {REFLOW_WIDTH} px: {overflowing}"


def test_the_differential_has_one_live_region_that_stays_while_its_words_change(
    page, live_server, clinician
):
    """htmx replaces the panel on every change; the live region outside it is filled, not
    replaced, so a screen reader announces the new ranking (WCAG 4.1.3)."""
    patient = PatientFactory(clinic=clinician.memberships.get().clinic, first_name="Ines")
    client = Client()
    client.force_login(clinician)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(f"/patients/{patient.pk}/assessments/new/")
    status = page.locator("#differential-status")
    before = status.aria_snapshot()
    assert before == '- status: "Differential: not enough information yet."', before
    page.evaluate(
        "window.__status = document.getElementById('differential-status');"
        "window.__panel = document.getElementById('differential-panel');"
    )
    # Sit-bone pain, worse with sitting, positive bent-knee stretch tests: htmx swaps the panel.
    for section in ("behaviour", "examination"):
        page.click(f"#section-{section} > summary")
    page.check("input[name=onset][value=gradual]")
    page.check("input[name=pain_locations][value=sit_bone]")
    page.check("input[name=aggravated_by_sitting][value=True]")
    page.check("input[name=sit_bone_tenderness][value=True]")
    page.check("input[name=bent_knee_stretch][value=positive]")
    page.check("input[name=modified_bent_knee_stretch][value=positive]")
    page.wait_for_function(
        "document.getElementById('differential-status').textContent.includes('most likely')"
    )
    after = status.aria_snapshot()
    top = page.locator("#ranked-causes > li summary span").first.inner_text()
    assert after.startswith("- status:") and top.split(". ", 1)[1] in after, after
    assert page.evaluate(
        "window.__status === document.getElementById('differential-status')"
        " && window.__panel !== document.getElementById('differential-panel')"
    ), "the live region was replaced, or the panel was not swapped at all"
    assert page.locator("[aria-live]").count() == 1
    assert page.locator("#differential-panel[aria-live]").count() == 0
