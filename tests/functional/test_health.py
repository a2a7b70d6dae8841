"""/health/: the load balancer's question, answered without login and without patient data.

Every component is tried for real; a broken one turns the answer into a 503 naming it (and only
its kind of error: hosts and users stay in the log).
"""

from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from clinic.models import AccessEvent
from config.settings import documents_storage

URL = "/health/"

pytestmark = pytest.mark.django_db


def broken_queue() -> str:
    raise ConnectionError("queue at 10.1.2.3 refused the connection")


def test_the_url_is_health():
    assert reverse("health") == URL


def test_healthy_answers_200_with_every_component_and_no_login(
    patient, settings, django_assert_num_queries
):
    del settings.TASKS  # no task backend: the queue is "not configured", not a failure
    client = Client()
    with django_assert_num_queries(1):  # SELECT 1: no session, no user, no audit row
        response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": "ok",
        "failed": [],
        "components": {
            "database": {"status": "ok"},
            "cache": {"status": "ok"},
            "queue": {"status": "not configured"},
            "storage": {"status": "ok"},
        },
    }
    assert "sessionid" not in response.cookies
    assert b"Rosa" not in response.content and b"Runner" not in response.content
    assert not AccessEvent.objects.exists()
    assert client.head(URL).status_code == 200
    assert client.post(URL).status_code == 405


def test_the_storage_probe_leaves_nothing_behind(settings):
    Client().get(URL)
    folder = Path(settings.MEDIA_ROOT) / "issued-documents"
    assert not [path for path in folder.rglob("*") if path.is_file()]


def test_a_storage_that_cannot_be_written_is_a_503_naming_it(settings, tmp_path):
    blocked = tmp_path / "a-file-not-a-folder"
    blocked.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "issued_documents": documents_storage("filesystem", blocked),
    }

    response = Client().get(URL)

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failed" and body["failed"] == ["storage"]
    assert body["components"]["database"] == {"status": "ok"}
    assert body["components"]["storage"]["status"] == "failed"
    assert str(tmp_path) not in response.content.decode()  # no paths to whoever asks


def test_a_cache_that_does_not_answer_is_a_503_naming_it(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        }
    }
    response = Client().get(URL)
    assert response.status_code == 503
    assert response.json()["failed"] == ["cache"]
    assert response.json()["components"]["cache"] == {
        "status": "failed",
        "error": "ConnectionError",
    }


def test_the_queue_check_is_pluggable_and_its_failure_is_a_503(settings, caplog):
    settings.HEALTH_QUEUE_CHECK = f"{__name__}.broken_queue"
    response = Client().get(URL)
    assert response.status_code == 503
    assert response.json()["components"]["queue"] == {
        "status": "failed",
        "error": "ConnectionError",
    }
    assert "10.1.2.3" not in response.content.decode()
    assert "10.1.2.3" in caplog.text  # the operator finds the detail in the log


def test_an_empty_tasks_setting_is_a_queue_not_configured(settings):
    settings.TASKS = {}
    assert Client().get(URL).json()["components"]["queue"] == {"status": "not configured"}
