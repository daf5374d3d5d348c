"""Settings come from the environment, and a production configuration passes Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*arguments: str, **environment: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **environment}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser tests set it for this process only
    return subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_reports_nothing_with_debug_off():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-0123456789",
        DJANGO_ALLOWED_HOSTS="portal.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_database_url_selects_the_database():
    result = run_manage(
        "shell",
        "-c",
        "from django.db import connection; print(connection.vendor, connection.settings_dict['NAME'])",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/portal_settings_probe",
    )
    assert result.returncode == 0, result.stderr
    assert "postgresql portal_settings_probe" in result.stdout


def test_the_worker_and_upload_limits_come_from_the_environment():
    names = [
        "OPERATION_SWEEP_SECONDS",
        "WORKER_RECONNECT_MAX_SECONDS",
        "MAX_REQUEST_BYTES",
        "DATA_UPLOAD_MAX_MEMORY_SIZE",
        "FILE_UPLOAD_MAX_MEMORY_SIZE",
        "DATA_UPLOAD_MAX_NUMBER_FILES",
    ]
    result = run_manage(
        "shell",
        "-c",
        f"from django.conf import settings; print(*(getattr(settings, name) for name in {names!r}))",
        OPERATION_SWEEP_SECONDS="2",
        WORKER_RECONNECT_MAX_SECONDS="8",
        PORTAL_MAX_REQUEST_BYTES="500000",
        DATA_UPLOAD_MAX_MEMORY_SIZE="1000",
        DATA_UPLOAD_MAX_NUMBER_FILES="3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["2.0", "8.0", "500000", "1000", "500000", "3"]
