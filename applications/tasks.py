"""Background work for drills: the worker begins each step when the operations of the last one have ended."""

from __future__ import annotations

import threading

from django.tasks import task

from applications.drills import drill_advance
from vms.models import Operation

_advancing = threading.local()


@task()
def drill_begin(drill_id: int) -> str:
    """Begin a drill's first step (or the next, after a stop was asked while nothing was under way)."""
    return drill_run(drill_id)


@task()
def drill_operation_ended(operation_id: int) -> str:
    """Hear that one operation of a drill's step ended; the last one to end moves the drill on."""
    details = Operation.objects.filter(pk=operation_id).values_list("details", flat=True).first() or {}
    if "drill" not in details:
        return "no drill"
    return drill_run(details["drill"])


def drill_run(drill_id: int) -> str:
    """Advance a drill; when called while this thread is already advancing one, leave it to that outer call.

    A backend that runs tasks at once (the immediate backend of the tests) calls the follow-up of an operation from
    inside the step that began it; queueing it for the outer call keeps the stack flat however long the chain is.
    With the database backend every call is its own task and the queue holds just that one drill.
    """
    queue = getattr(_advancing, "queue", None)
    if queue is not None:
        queue.append(drill_id)
        return "queued"
    _advancing.queue = queue = [drill_id]
    try:
        while queue:
            drill_advance(drill_id=queue.pop(0))
    finally:
        _advancing.queue = None
    return "advanced"
