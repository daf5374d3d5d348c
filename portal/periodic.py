"""The worker's schedule: periodic jobs (recovery sweeps, probe rounds, pruning) that run with no page requested.

An app declares its jobs in its own ``periodic.py`` module::

    from portal.periodic import periodic

    @periodic(name="vms.recover_stale_operations", seconds=5)
    def recover_stale_operations() -> None: ...

Every worker process calls :func:`periodic_run_due` between tasks. A job's row in ``PeriodicRun`` is claimed under a
row lock (skipping rows another worker holds), so with several workers on one database each job still runs once per
interval. A job that raises is logged and tried again at its next interval; it never stops the worker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from portal.models import PeriodicRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    seconds: float
    function: Callable[[], object]


_registry: dict[str, PeriodicJob] = {}


def periodic(*, name: str, seconds: float) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register a function to run every `seconds` in the background worker."""

    def register(function: Callable[[], object]) -> Callable[[], object]:
        _registry[name] = PeriodicJob(name=name, seconds=seconds, function=function)
        return function

    return register


def periodic_jobs() -> list[PeriodicJob]:
    """Every registered job, after importing each installed app's ``periodic`` module."""
    autodiscover_modules("periodic")
    return sorted(_registry.values(), key=lambda job: job.name)


def _claim(job: PeriodicJob, now: datetime) -> bool:
    """Move a due job's next run forward; False when it is not due or another worker holds it."""
    PeriodicRun.objects.get_or_create(name=job.name, defaults={"next_run_at": now})  # safe when two workers race
    with transaction.atomic():
        rows = PeriodicRun.objects.filter(name=job.name, next_run_at__lte=now)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        run = rows.first()
        if run is None:
            return False
        run.next_run_at = now + timedelta(seconds=job.seconds)
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
        PeriodicRun.objects.filter(name=job.name).update(last_finished_at=timezone.now(), last_error=error)
        ran.append(job.name)
    return ran
