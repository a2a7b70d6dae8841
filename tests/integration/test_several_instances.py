"""Two app servers behind one database (and one Redis): what one learns, the other knows.

"Another instance" here is a second Python process with its own memory, started on the same
test database (and, where it matters, the same Redis at 127.0.0.1:6379): a login lockout made
by one is enforced by the other, and with ``REDIS_URL`` a session opened on one is valid on the
other. The Redis tests are skipped, saying why, only when Redis is not reachable.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from config.settings import redis_cache
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the other process must see the rows

ROOT = Path(__file__).resolve().parents[2]
REDIS = ("127.0.0.1", 6379)
PASSWORD = "pw"  # tests.factories.UserFactory's


def _database_url() -> str:
    """The URL of the test database this process uses, for the other process."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    if connection.vendor == "postgresql":
        credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        host = f"{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
        return f"postgres://{credentials}@{host}/{db['NAME']}"
    pytest.fail(f"no URL for a {connection.vendor} test database")


def _in_another_process(code: str, **env) -> dict:
    """Run ``code`` in a fresh interpreter on the same database; it sets ``result``."""
    environment = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    environment.update(
        env, DATABASE_URL=_database_url(), DJANGO_SETTINGS_MODULE="config.settings_test"
    )
    program = (
        "import json, django\n"
        "django.setup()\n"
        "from django.test.utils import setup_test_environment\n"
        "setup_test_environment()\n"
        "from django.test import Client\n"
        f"{textwrap.dedent(code)}\n"
        "print(json.dumps(result))\n"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", program],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


# --- Login lockouts live in the database -----------------------------------------------------


def test_a_lockout_made_on_one_instance_holds_on_the_other(settings):
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    UserFactory(username="alice")

    other = _in_another_process(
        """
        client = Client()
        answers = [
            client.post("/login/", {"username": "alice", "password": "wrong"},
                        REMOTE_ADDR="10.0.0.1").status_code
            for _ in range(5)
        ]
        result = {"answers": answers}
        """
    )
    assert other["answers"][:4] == [200] * 4

    # This process never saw a failure, and still refuses the right password.
    assert _login(Client(), "alice", PASSWORD).status_code == 429


def test_a_lockout_made_here_is_enforced_by_another_instance():
    UserFactory(username="bob")
    client = Client()
    for _ in range(5):
        _login(client, "bob", "wrong")

    other = _in_another_process(
        """
        response = Client().post("/login/", {"username": "bob", "password": "pw"},
                                  REMOTE_ADDR="10.0.0.1")
        result = {"status": response.status_code}
        """
    )
    assert other == {"status": 429}


# --- Cache and sessions in Redis when REDIS_URL is set -------------------------------------


@pytest.fixture
def redis_url():
    try:
        socket.create_connection(REDIS, timeout=2).close()
    except OSError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    url = "redis://127.0.0.1:6379/14"
    raw = redis.Redis.from_url(url)
    before = set(raw.keys("clinic:*"))
    yield url
    # Only what this test wrote goes; another run's keys in the same database stay.
    new = set(raw.keys("clinic:*")) - before
    if new:
        raw.delete(*new)


def test_redis_url_puts_the_cache_and_the_sessions_in_redis(redis_url):
    settings_seen = _in_another_process(
        """
        from django.conf import settings
        result = {"cache": settings.CACHES["default"]["BACKEND"],
                  "location": settings.CACHES["default"]["LOCATION"],
                  "sessions": settings.SESSION_ENGINE}
        """,
        REDIS_URL=redis_url,
    )
    assert settings_seen == {
        "cache": "django_redis.cache.RedisCache",
        "location": redis_url,
        "sessions": "django.contrib.sessions.backends.cache",
    }
    without = _in_another_process(
        """
        from django.conf import settings
        result = {"cache": settings.CACHES["default"]["BACKEND"],
                  "sessions": settings.SESSION_ENGINE}
        """
    )
    assert without == {
        "cache": "django.core.cache.backends.locmem.LocMemCache",
        "sessions": "django.contrib.sessions.backends.db",
    }


def test_a_session_opened_on_one_instance_is_valid_on_the_other(redis_url, clinic):
    UserFactory(username="carol", clinic=clinic)
    with override_settings(
        CACHES={"default": redis_cache(redis_url)},
        SESSION_ENGINE="django.contrib.sessions.backends.cache",
    ):
        here = Client()
        assert _login(here, "carol", PASSWORD).status_code == 302
        session_key = here.cookies["sessionid"].value
        # The session is in Redis, not in this process nor in the database.
        stored = redis.Redis.from_url(redis_url).keys(f"clinic:*{session_key}")
        assert len(stored) == 1
        from django.contrib.sessions.models import Session

        assert not Session.objects.filter(session_key=session_key).exists()

    other = _in_another_process(
        f"""
        client = Client()
        client.cookies["sessionid"] = {session_key!r}
        dashboard = client.get("/")
        stranger = Client().get("/")
        result = {{"dashboard": dashboard.status_code, "stranger": stranger.status_code}}
        """,
        REDIS_URL=redis_url,
    )
    assert other["dashboard"] == 200
    assert other["stranger"] == 302  # to the login page: the cookie is what counts


def test_the_cache_is_shared_through_redis(redis_url):
    key, value = f"shared-{uuid.uuid4().hex}", uuid.uuid4().hex
    with override_settings(CACHES={"default": redis_cache(redis_url)}):
        from django.core.cache import cache

        cache.set(key, value, timeout=60)
    other = _in_another_process(
        f"""
        from django.core.cache import cache
        result = {{"value": cache.get({key!r})}}
        """,
        REDIS_URL=redis_url,
    )
    assert other == {"value": value}
