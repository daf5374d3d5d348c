"""Background work for host maintenance: the worker moves a run on when the operations of its round end."""

from __future__ import annotations

import threading

from django.tasks import task

from maintenance.engine import maintenance_advance
from vms.models import Operation

_advancing = threading.local()


@task()
def maintenance_begin(run_id: int) -> str:
    """Begin a run's first round (or end it, after a stop was asked between rounds)."""
    return maintenance_run(run_id)


@task()
def maintenance_operation_ended(operation_id: int) -> str:
    """Hear that one operation of a round ended; the last one to end moves the run on."""
    details = Operation.objects.filter(pk=operation_id).values_list("details", flat=True).first() or {}
    if "maintenance" not in details:
        return "no maintenance"
    return maintenance_run(details["maintenance"])


def maintenance_run(run_id: int) -> str:
    """Advance a run; when this thread is already advancing one, leave it to that outer call (a flat stack)."""
    queue = getattr(_advancing, "queue", None)
    if queue is not None:
        queue.append(run_id)
        return "queued"
    _advancing.queue = queue = [run_id]
    try:
        while queue:
            maintenance_advance(run_id=queue.pop(0))
    finally:
        _advancing.queue = None
    return "advanced"
