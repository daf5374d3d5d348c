"""The worker's schedule: each job runs once per interval, whichever worker asks, and a failing job stops nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from portal import periodic as schedule
from portal.models import PeriodicRun
from tests import factories
from tests.helpers.worker import portal_worker
from vms.models import Operation, VirtualMachine

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(monkeypatch):
    """A registry holding only the jobs a test declares."""
    monkeypatch.setattr(schedule, "registry", {})
    calls: list[str] = []
    return calls


def test_a_job_runs_when_due_and_not_again_within_its_interval(jobs):
    schedule.periodic(name="count", seconds=10)(lambda: jobs.append("count"))
    start = timezone.now()

    assert schedule.periodic_run_due(now=start) == ["count"]
    assert schedule.periodic_run_due(now=start + timedelta(seconds=9)) == []
    assert schedule.periodic_run_due(now=start + timedelta(seconds=10)) == ["count"]
    assert jobs == ["count", "count"]
    run = PeriodicRun.objects.get(name="count")
    assert run.next_run_at == start + timedelta(seconds=20)
    assert run.last_error == ""


def test_a_failing_job_is_recorded_and_the_others_still_run(jobs):
    def broken() -> None:
        raise RuntimeError("fabric unreachable")

    schedule.periodic(name="a-broken", seconds=5)(broken)
    schedule.periodic(name="b-working", seconds=5)(lambda: jobs.append("b"))

    assert schedule.periodic_run_due() == ["a-broken", "b-working"]
    assert jobs == ["b"]
    assert PeriodicRun.objects.get(name="a-broken").last_error == "RuntimeError: fabric unreachable"


def test_the_worker_runs_the_schedule_with_no_task_queued(jobs, settings, monkeypatch):
    # The test's transaction holds the connection; the worker would otherwise close it as a stale one.
    monkeypatch.setattr("portal.worker.close_old_connections", lambda: None)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    schedule.periodic(name="sweep", seconds=60)(lambda: jobs.append("sweep"))
    worker = portal_worker("test", interval=0, batch=True)

    worker.run()

    assert jobs == ["sweep"]


def test_an_interval_given_as_a_function_follows_the_setting_as_it_is_now(jobs, settings):
    settings.OPERATION_SWEEP_SECONDS = 7
    schedule.periodic(name="sweep", seconds=lambda: settings.OPERATION_SWEEP_SECONDS)(lambda: jobs.append("s"))
    start = timezone.now()
    schedule.periodic_run_due(now=start)
    assert PeriodicRun.objects.get(name="sweep").next_run_at == start + timedelta(seconds=7)
    settings.OPERATION_SWEEP_SECONDS = 2
    schedule.periodic_run_due(now=start + timedelta(seconds=7))
    assert PeriodicRun.objects.get(name="sweep").next_run_at == start + timedelta(seconds=9)


def test_the_apps_jobs_are_discovered(settings):
    settings.OPERATION_SWEEP_SECONDS = 3
    jobs = {job.name: job.interval for job in schedule.periodic_jobs()}
    assert list(jobs) == sorted(jobs)
    expected = {
        "portal.clear_expired_sessions": 3600,
        "portal.mark_abandoned_tasks": 3,
        "vms.prune_wizard_uploads": 3600,
        "vms.recover_stale_operations": 3,
    }
    assert {name: jobs.get(name) for name in expected} == expected


def test_the_schedule_alone_retries_and_then_fails_a_lost_operation(settings):
    """With no page requested, the worker's schedule takes a VM out of its passing state."""
    settings.OPERATION_MAX_ATTEMPTS = 2
    vm = factories.VirtualMachineFactory(status=VirtualMachine.Status.RESTARTING)
    operation = factories.OperationFactory(virtual_machine=vm)
    lost_at = timezone.now() - timedelta(seconds=settings.OPERATION_TIMEOUT_SECONDS + 1)
    Operation.objects.filter(pk=operation.pk).update(attempt_started_at=lost_at)

    assert "vms.recover_stale_operations" in schedule.periodic_run_due()
    operation.refresh_from_db()
    assert (operation.attempts, operation.status) == (2, Operation.Status.IN_PROGRESS)

    Operation.objects.filter(pk=operation.pk).update(attempt_started_at=lost_at)  # the retry was lost too
    next_sweep = timezone.now() + timedelta(seconds=settings.OPERATION_SWEEP_SECONDS)
    assert "vms.recover_stale_operations" in schedule.periodic_run_due(now=next_sweep)
    operation.refresh_from_db()
    vm.refresh_from_db()
    assert operation.status == Operation.Status.FAILED
    assert vm.status == VirtualMachine.Status.STOPPED


@pytest.mark.django_db(False)
@pytest.mark.parametrize("module", ["periodic", "operations"])
def test_a_broken_periodic_or_operations_module_stops_the_start(module, tmp_path):
    """Periodic jobs and operation follow-ups are discovered once when Django starts, not in a worker's loop."""
    app = tmp_path / "brokenapp"
    app.mkdir()
    (app / "__init__.py").write_text("")
    (app / f"{module}.py").write_text("raise ImportError('brokenapp cannot be imported')\n")
    (tmp_path / "broken_settings.py").write_text(
        "from portal.settings import *  # noqa: F403\nINSTALLED_APPS = [*INSTALLED_APPS, 'brokenapp']  # noqa: F405\n"
    )
    root = Path(__file__).resolve().parents[2]
    environment = os.environ | {
        "DJANGO_SETTINGS_MODULE": "broken_settings",
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(root)]),
    }
    started = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert started.returncode != 0
    assert "brokenapp cannot be imported" in started.stderr
