"""Settings come from the environment, and a production configuration passes Django's deployment checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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


class TestProductionRefusesThePublicKey:
    """With debugging off, the portal will not start on the development secret key."""

    PRODUCTION = {"DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "portal.example.com"}

    def run_without_key(self, **environment: str) -> subprocess.CompletedProcess:
        env = {**os.environ, **self.PRODUCTION, **environment}
        if "DJANGO_SECRET_KEY" not in environment:
            env.pop("DJANGO_SECRET_KEY", None)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        return subprocess.run(
            [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    def test_no_secret_key_stops_it_with_what_to_set(self):
        result = self.run_without_key()
        assert result.returncode != 0
        assert "ImproperlyConfigured" in result.stderr
        assert "Set DJANGO_SECRET_KEY to a long random value" in result.stderr

    def test_an_empty_secret_key_stops_it(self):
        result = self.run_without_key(DJANGO_SECRET_KEY="  ")
        assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr

    def test_the_development_key_stops_it(self):
        from portal.settings import DEVELOPMENT_SECRET_KEY

        result = self.run_without_key(DJANGO_SECRET_KEY=DEVELOPMENT_SECRET_KEY)
        assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr

    def test_the_wsgi_application_does_not_load_either(self):
        env = {**os.environ, **self.PRODUCTION}
        env.pop("DJANGO_SECRET_KEY", None)
        env.pop("DJANGO_SETTINGS_MODULE", None)
        result = subprocess.run(
            [sys.executable, "-c", "import portal.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode != 0 and "Set DJANGO_SECRET_KEY" in result.stderr

    def test_a_real_key_starts(self):
        result = self.run_without_key(DJANGO_SECRET_KEY="a-long-random-production-secret-key-0123456789-abcdefghij")
        assert result.returncode == 0, result.stderr

    def test_development_needs_no_key(self):
        result = self.run_without_key(DJANGO_DEBUG="true")
        assert result.returncode == 0, result.stderr


def connection_settings(**environment: str) -> str:
    result = run_manage(
        "shell",
        "-c",
        "from django.db import connection; "
        "print(connection.settings_dict['CONN_MAX_AGE'], connection.settings_dict['CONN_HEALTH_CHECKS'])",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/portal_settings_probe",
        DJANGO_SECRET_KEY="x" * 20 + "a-long-random-production-secret-key-0123456789",
        **environment,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_production_keeps_database_connections_with_health_checks():
    assert connection_settings(DJANGO_DEBUG="false") == "60 True"


def test_development_opens_a_connection_per_request_and_the_age_can_be_set():
    assert connection_settings(DJANGO_DEBUG="true") == "0 True"
    assert connection_settings(DJANGO_DEBUG="false", DATABASE_CONN_MAX_AGE="300") == "300 True"


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
