"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Fixtures for any e2e test:

* ``browser`` — one headless Chromium per test module (Playwright cannot download browsers
  here; it launches ``/usr/bin/chromium``, or ``E2E_CHROMIUM``). Without Chromium the tests
  are skipped with the reason; ``apt-get install -y --no-install-recommends chromium``.
* ``page`` — a fresh context and page whose relative URLs go to ``live_server``; it records
  every Content-Security-Policy violation (read them with ``csp_violations(page)``).
  ``new_context(browser, **options)`` makes such a context for a second person.
* ``phone`` — a page in a 390 × 844 touch context, no login: the runner opening their link.
* ``shot(page, name)`` — a screenshot into test-artifacts/e2e/ (``make screenshots`` copies
  the README's into docs/screenshots/).
* ``login(page, username, password)`` — logs in through the real form and checks it worked.
* ``clinician`` — a clinician of a clinic, password ``CLINICIAN_PASSWORD``.

Mark browser tests ``@pytest.mark.e2e`` (``pytest -m "not e2e"`` leaves them out).
"""

import os
from pathlib import Path

import pytest

from tests.factories import ClinicFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# beside one unless told it is safe (it is: the loop only drives the browser).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
CLINICIAN_PASSWORD = "e2e-clinician-pass"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PHONE = {"width": 390, "height": 844}

# Collects violations from the page itself, before any of its scripts run.
_RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    line: event.lineNumber,
    sample: event.sample,
  });
});
"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set E2E_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


def new_context(browser, **options):
    """A browser context that records CSP violations and waits at most 30 s for an element or a
    page (issuing renders two PDFs: seconds on a quiet machine, more on a loaded one)."""
    context = browser.new_context(**options)
    context.set_default_timeout(30_000)
    context.add_init_script(_RECORD_CSP_VIOLATIONS)
    return context


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture
def page(browser, live_server):
    context = new_context(browser, base_url=live_server.url)
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: _keep_errors(page, message))
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    """The runner's phone: no login, the link opened as printed or shown."""
    context = new_context(browser, viewport=PHONE, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def _keep_errors(page, message):
    if message.type == "error":
        page.console_errors.append(message.text)


def csp_violations(page) -> list[dict]:
    """The CSP violations the current document has reported so far."""
    return page.evaluate("window.__cspViolations || []")


@pytest.fixture
def login():
    def _login(page, username, password):
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert "/login/" not in page.url, f"login as {username} failed: still on {page.url}"
        return page

    return _login


@pytest.fixture
def clinician(transactional_db):
    user = UserFactory(
        username="e2e.pt",
        first_name="Erin",
        last_name="Physio",
        clinic=ClinicFactory(name="E2E Running Clinic"),
        password=CLINICIAN_PASSWORD,
    )
    return user
