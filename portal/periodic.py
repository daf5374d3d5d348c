"""The worker's schedule: periodic jobs (recovery sweeps, probe rounds, pruning) that run with no page requested.

An app declares its jobs in its own ``periodic.py`` module::

    from portal.periodic import periodic

    @periodic(name="vms.recover_stale_operations", seconds=lambda: settings.OPERATION_SWEEP_SECONDS)
    def recover_stale_operations() -> None: ...

``seconds`` is a number or a function returning one, read each time the job is claimed (so a setting counts as it is
now, not as it was at import).

The modules are imported once when Django starts (``PortalConfig.ready``), so a broken one stops the start rather
than a worker's loop. Every worker process calls :func:`periodic_run_due` between tasks, and keeps calling it while a
task runs (``portal.worker``), so a long operation does not hold the probes back. A job's row in ``PeriodicRun``
is claimed under a row lock (skipping rows another worker holds), so with several workers on one database, or the
worker and its schedule thread, each job still runs once per interval. A job declared with ``each_worker=True`` (the
fabric's host watcher, which keeps connections in its process) runs instead in every worker process once per
interval. A job that raises is logged and tried again at its next interval; it never stops the worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from portal.models import PeriodicRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    seconds: float | Callable[[], float]
    function: Callable[[], object]
    each_worker: bool = False

    @property
    def interval(self) -> float:
        """The seconds between two runs, as the job's setting says now."""
        return float(self.seconds() if callable(self.seconds) else self.seconds)


# Every job by name, as `periodic` registered it; a test may swap in a registry of its own jobs only.
registry: dict[str, PeriodicJob] = {}


Job = Callable[[], object]


def periodic(*, name: str, seconds: float | Callable[[], float], each_worker: bool = False) -> Callable[[Job], Job]:
    """Register a function to run every `seconds` in the background worker (in each worker process: each_worker)."""

    def register(function: Job) -> Job:
        registry[name] = PeriodicJob(name=name, seconds=seconds, function=function, each_worker=each_worker)
        return function

    return register


def periodic_jobs() -> list[PeriodicJob]:
    """Every registered job (each installed app's ``periodic`` module is imported once, at start: PortalConfig)."""
    return sorted(registry.values(), key=lambda job: job.name)


_process_next_runs: dict[str, datetime] = {}
_process_running: set[str] = set()
_process_lock = threading.Lock()


def _claim_in_process(job: PeriodicJob, now: datetime) -> bool:
    """Move a due each-worker job's next run forward in this process; False when it is not due or already running."""
    with _process_lock:
        due = _process_next_runs.get(job.name)
        if job.name in _process_running or (due is not None and due > now):
            return False
        _process_next_runs[job.name] = now + timedelta(seconds=job.interval)
        _process_running.add(job.name)
        return True


def _claim(job: PeriodicJob, now: datetime) -> bool:
    """Move a due job's next run forward; False when it is not due or another worker holds it."""
    if job.each_worker:
        return _claim_in_process(job, now)
    PeriodicRun.objects.get_or_create(name=job.name, defaults={"next_run_at": now})  # safe when two workers race
    with transaction.atomic():
        rows = PeriodicRun.objects.filter(name=job.name, next_run_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        run = rows.first()
        if run is None:
            return False
        run.next_run_at = now + timedelta(seconds=job.interval)
        run.last_started_at = now
        run.save(update_fields=["next_run_at", "last_started_at"])
        return True


def periodic_run_due(*, now: datetime | None = None) -> list[str]:
    """Run every job whose interval has passed, each once across all workers; return the names that ran."""
    now = now or timezone.now()
    ran = []
    for job in periodic_jobs():
        if not _claim(job, now):
            continue
        error = ""
        try:
            job.function()
        except Exception as exc:  # a failing job must not stop the worker or the other jobs
            logger.exception("Periodic job %s failed", job.name)
            error = f"{type(exc).__name__}: {exc}"
        if job.each_worker:
            with _process_lock:
                _process_running.discard(job.name)
        else:
            PeriodicRun.objects.filter(name=job.name).update(last_finished_at=timezone.now(), last_error=error)
        ran.append(job.name)
    return ran


# The shell's own jobs (other apps declare theirs in their own periodic.py).
from portal.services import sessions_clear_expired, task_results_mark_abandoned, wizard_drafts_prune  # noqa: E402
from portal.wizard_storage import DRAFT_PRUNE_SECONDS  # noqa: E402

SESSION_PRUNE_SECONDS = 60 * 60


@periodic(name="portal.mark_abandoned_tasks", seconds=lambda: settings.OPERATION_SWEEP_SECONDS)
def mark_abandoned_tasks() -> None:
    """Mark task rows whose worker died as failed, so they are not taken for running work."""
    task_results_mark_abandoned()


@periodic(name="portal.clear_expired_sessions", seconds=SESSION_PRUNE_SECONDS)
def clear_expired_sessions() -> None:
    """Delete expired sign-in sessions."""
    sessions_clear_expired()


@periodic(name="portal.prune_wizard_drafts", seconds=DRAFT_PRUNE_SECONDS)
def prune_wizard_drafts() -> None:
    """Delete the drafts of wizard runs left unfinished longer than a draft lives."""
    wizard_drafts_prune()
