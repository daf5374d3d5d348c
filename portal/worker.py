"""The background worker: django-tasks-db's task loop with the portal's periodic schedule beside it.

Between tasks the loop runs the due periodic jobs itself; while a task runs (an operation takes the fabric's time),
a thread of the same process runs them every SCHEDULE_STEP_SECONDS, so a single worker busy restarting a VM still
runs its probe rounds and sees the restart.

The worker outlives its database: when PostgreSQL restarts or the network drops, the loop closes its broken
connections, waits (0.5 s, then twice as long each time, at most WORKER_RECONNECT_MAX_SECONDS) and carries on. A task
cut off that way is left unfinished; the recovery sweep retries its operation once OPERATION_TIMEOUT_SECONDS pass.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connections
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from portal.periodic import periodic_run_due

logger = logging.getLogger(__name__)

FIRST_RECONNECT_DELAY = 0.5
SCHEDULE_STEP_SECONDS = 0.5


def reconnect_delay(failures: int, *, cap: float, first: float = FIRST_RECONNECT_DELAY) -> float:
    """Seconds to wait after `failures` failed attempts in a row: doubling from `first`, never more than `cap`."""
    return min(cap, first * 2 ** max(failures - 1, 0))


def close_broken_connections() -> None:
    """Close every open database connection, ignoring the errors a dead connection raises while closing."""
    for connection in connections.all(initialized_only=True):
        try:
            connection.close()
        except Exception:
            logger.debug("Closing a broken connection to %s failed", connection.alias, exc_info=True)


@contextmanager
def schedule_beside(*, step: float | None = None) -> Iterator[None]:
    """Run the due periodic jobs every `step` seconds in a thread of their own while the block runs."""
    step = SCHEDULE_STEP_SECONDS if step is None else step
    stop = threading.Event()

    def run_schedule() -> None:
        try:
            while not stop.wait(step):
                try:
                    periodic_run_due()
                except (OperationalError, InterfaceError):
                    logger.warning("The schedule could not reach the database; trying again", exc_info=True)
                    close_broken_connections()
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=run_schedule, name="portal-schedule", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


class PortalWorker(Worker):
    """Carry out queued tasks one at a time and run every due periodic job between them."""

    def run_once(self) -> bool:
        """Run due periodic jobs, then claim and run one ready task; True when a task ran."""
        close_old_connections()
        periodic_run_due()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            task_result = tasks.get_locked()
            if task_result is not None:
                task_result.claim(self.worker_id)  # claimed, so no other worker process runs it
        if task_result is None:
            return False
        self.run_task(task_result)
        close_old_connections()
        return True

    def run_task(self, db_task_result: DBTaskResult) -> None:
        """Carry out one task with the schedule running beside it."""
        with schedule_beside():
            super().run_task(db_task_result)

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - spreads workers started together, not security
        failures = 0
        while self.running:
            try:
                ran = self.run_once()
            except (OperationalError, InterfaceError) as error:
                if isinstance(error, OperationalError) and is_locked_database_exception(error):
                    ran = False  # SQLite is busy with another writer; it frees up by itself
                else:
                    failures += 1
                    delay = reconnect_delay(failures, cap=settings.WORKER_RECONNECT_MAX_SECONDS)
                    logger.warning(
                        "Database unavailable (%s: %s); reconnecting in %.1f s (attempt %d)",
                        type(error).__name__,
                        str(error).strip().splitlines()[0] if str(error).strip() else "",
                        delay,
                        failures,
                    )
                    close_broken_connections()
                    time.sleep(delay)
                    continue
            if failures:
                logger.warning("Database reachable again after %d failed attempt(s); carrying on", failures)
                failures = 0
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.batch and not ran:
                return
            if self.running and not ran:
                time.sleep(self.interval)
