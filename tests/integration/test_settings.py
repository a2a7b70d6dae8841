"""Production settings: refuse to start without a secret, and pass `check --deploy` cleanly."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_app_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = _manage("check", DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 60 + "a-long-random-production-secret-value",
    "DJANGO_ALLOWED_HOSTS": "clinic.example.com",
}


def test_deploy_check_is_clean_with_debug_off():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        **PRODUCTION,
        DJANGO_PATIENT_LINK_BASE_URL="https://clinic.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stderr


def test_deploy_check_warns_when_the_patient_link_address_is_not_configured():
    result = _manage("check", "--deploy", **PRODUCTION)
    assert "rehab.W001" in result.stderr
    assert "DJANGO_PATIENT_LINK_BASE_URL is not set" in result.stderr
    debug = _manage("check", "--deploy", **{**PRODUCTION, "DJANGO_DEBUG": "true"})
    assert "rehab.W001" not in debug.stdout + debug.stderr


def test_unclear_boolean_setting_is_refused():
    result = _manage("check", DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def _variables_read_by_the_settings() -> set[str]:
    """Every environment variable name the config package reads: ``os.environ.get``/``[...]``,
    ``os.getenv``, the ``envbool`` helper and ``dj_database_url.config(env=...)`` (names given
    as literals; ``envbool``'s own parameter is not one)."""
    found = []
    for path in (ROOT / "config").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                found.append(node.slice)
            if not isinstance(node, ast.Call):
                continue
            called = ast.unparse(node.func)
            if called in ("os.environ.get", "os.getenv", "envbool") and node.args:
                found.append(node.args[0])
            if called == "dj_database_url.config":
                found.extend(k.value for k in node.keywords if k.arg == "env")
    return {n.value for n in found if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _variables_in_the_readme() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z0-9_]+)` \|", section, flags=re.MULTILINE))


def test_the_readme_configuration_table_lists_every_variable_the_settings_read():
    read = _variables_read_by_the_settings()
    assert {"DJANGO_DEBUG", "DATABASE_URL", "DJANGO_PATIENT_LINK_BASE_URL"} <= read
    assert _variables_in_the_readme() == read


def test_the_task_backend_is_chosen_by_the_environment():
    def backend(**env):
        result = _manage(
            "shell", "-c", "from django.conf import settings; print(settings.TASKS)", **env
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "django_tasks_db.DatabaseBackend" in backend()  # the embedded default
    assert "django_tasks_rq.RQBackend" in backend(DJANGO_TASKS_BACKEND="rq")
    assert "ImmediateBackend" in backend(DJANGO_TASKS_BACKEND="immediate")
    rq = _manage("check", DJANGO_TASKS_BACKEND="rq", DJANGO_TASKS_REDIS_URL="redis://cache:6379/2")
    assert rq.returncode == 0, rq.stderr
    refused = _manage("check", DJANGO_TASKS_BACKEND="celery")
    assert refused.returncode != 0
    assert "DJANGO_TASKS_BACKEND must be one of database, rq, immediate" in refused.stderr


def test_documents_storage_must_be_known_and_s3_needs_its_bucket():
    unknown = _manage("check", DJANGO_DOCUMENTS_STORAGE="ftp")
    assert unknown.returncode != 0
    assert "DJANGO_DOCUMENTS_STORAGE must be filesystem or s3, not 'ftp'" in unknown.stderr
    no_bucket = _manage("check", DJANGO_DOCUMENTS_STORAGE="s3")
    assert no_bucket.returncode != 0
    assert "DJANGO_S3_BUCKET must be set" in no_bucket.stderr
    configured = _manage(
        "check", DJANGO_DOCUMENTS_STORAGE="s3", DJANGO_S3_BUCKET="clinic-documents"
    )
    assert configured.returncode == 0, configured.stderr
