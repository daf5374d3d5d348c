"""The portal's worker for tests: run until no task is ready, or in a thread beside a live test."""

from __future__ import annotations

import threading

from django.db import connections

from portal.worker import PortalWorker


def portal_worker(worker_id: str, *, interval: float = 0.1, batch: bool = False, max_tasks: int | None = None):
    """Return a worker of the default queue; with batch it stops once no task is ready."""
    return PortalWorker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def worker_thread(worker_id: str, *, interval: float = 0.1) -> tuple[PortalWorker, threading.Thread]:
    """Return a worker and a thread (not started yet) that runs it and closes its database connections at the end."""
    background = portal_worker(worker_id, interval=interval)

    def run() -> None:
        try:
            background.run()
        finally:
            connections.close_all()

    return background, threading.Thread(target=run, name="portal-worker", daemon=True)
