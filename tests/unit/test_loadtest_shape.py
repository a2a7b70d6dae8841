"""The load test's scaled shape (loadtest/run.sh, docs/deploy.md) without running it: the nginx
configuration it generates is one nginx accepts, listening on loopback only, and the script
refuses a run longer than its bound before it starts anything."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")


def _render(prefix: Path, port: int, *upstreams: int) -> Path:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "loadtest/nginx_conf.py", str(prefix), str(port), *map(str, upstreams)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(result.stdout.strip())


def test_generated_nginx_config_balances_every_instance_and_listens_on_loopback_only(tmp_path):
    conf = _render(tmp_path, 8780, 8781, 8782).read_text(encoding="utf-8")
    assert re.findall(r"server 127\.0\.0\.1:(\d+) ", conf) == ["8781", "8782"]
    assert re.findall(r"listen (\S+);", conf) == ["127.0.0.1:8780"]


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (loadtest/run.sh installs it)")
def test_nginx_accepts_the_generated_config(tmp_path):
    conf = _render(tmp_path, 8780, 8781, 8782)
    result = subprocess.run(  # noqa: S603
        [NGINX, "-t", "-q", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "e.log")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_load_script_refuses_a_run_over_two_minutes_before_starting_anything():
    result = subprocess.run(
        ["bash", "loadtest/run.sh"],  # noqa: S607
        cwd=ROOT,
        env={**os.environ, "LOAD_TIME": "121s", "LOAD_OUT": "/nonexistent/never-written"},
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 2
    assert "at most 2 minutes" in result.stderr
