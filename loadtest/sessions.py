"""Log the simulated clinicians in before the runs, one after the other, and write their session
cookies for the locustfile; print how long the login post took.

A login hashes the password on purpose (Django's PBKDF2, 1,000,000 iterations: about half a
second of CPU). Sixty users logging in during a run's ramp would spend most of the run's CPU
on that and measure a morning rush, not the pages; a clinic's PTs stay logged in (sessions last
up to 12 hours). So the users start logged in, and the login is timed here, on its own.

    python loadtest/sessions.py BASE_URL COUNT OUT_JSON
"""

import json
import os
import re
import statistics
import sys
import time

import requests

USERNAME = os.environ.get("LOAD_USERNAME", "demo.pt")
PASSWORD = os.environ.get("LOAD_PASSWORD", "hamstring-demo")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _plain(session: requests.Session) -> None:
    """The app marks its cookies Secure; this client speaks plain HTTP on loopback."""
    for cookie in session.cookies:
        cookie.secure = False


def login(base_url: str) -> tuple[list[dict[str, str]], float]:
    session = requests.Session()
    page = session.get(f"{base_url}/login/", timeout=30)
    _plain(session)
    token = CSRF.search(page.text)
    if token is None:
        raise SystemExit(f"no login form at {base_url}/login/ ({page.status_code})")
    started = time.perf_counter()
    response = session.post(
        f"{base_url}/login/",
        {"username": USERNAME, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    took = (time.perf_counter() - started) * 1000
    if response.status_code != 302:
        raise SystemExit(f"login refused ({response.status_code})")
    # With their domain and path, so the cookies the app sets later replace them, not join them.
    cookies = [
        {"name": c.name, "value": c.value or "", "domain": c.domain, "path": c.path}
        for c in session.cookies
    ]
    return cookies, took


def main(base_url: str, count: int, out: str) -> None:
    cookies, times = [], []
    for _ in range(count):
        jar, took = login(base_url)
        cookies.append(jar)
        times.append(took)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(cookies, handle)
    print(
        f"   {count} users logged in one after the other: login post median "
        f"{statistics.median(times):.0f} ms, max {max(times):.0f} ms (password hashing)"
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
