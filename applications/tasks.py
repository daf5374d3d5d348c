"""Background work for drills: the worker begins each step when the operations of the last one have ended."""

from __future__ import annotations

from django.tasks import task

from applications.drills import drill_advance
from vms.advancing import Chain

drills = Chain("drill", lambda drill_id: drill_advance(drill_id=drill_id))


@task()
def drill_begin(drill_id: int) -> str:
    """Begin a drill's first step (or the next, after a stop was asked while nothing was under way)."""
    return drills.run(drill_id)


@task()
def drill_operation_ended(operation_id: int) -> str:
    """Hear that one operation of a drill's step ended; the last one to end moves the drill on."""
    return drills.operation_ended(operation_id)
