"""Background work for host maintenance: the worker moves a run on when the operations of its round end."""

from __future__ import annotations

from django.tasks import task

from maintenance.engine import maintenance_advance
from vms.advancing import Chain

runs = Chain("maintenance", lambda run_id: maintenance_advance(run_id=run_id))


@task()
def maintenance_begin(run_id: int) -> str:
    """Begin a run's first round (or end it, after a stop was asked between rounds)."""
    return runs.run(run_id)


@task()
def maintenance_operation_ended(operation_id: int) -> str:
    """Hear that one operation of a round ended; the last one to end moves the run on."""
    return runs.operation_ended(operation_id)
