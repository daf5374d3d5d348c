"""Background work: the worker carries out operations through the fabric's carrier."""

from __future__ import annotations

from django.tasks import task
from django.utils import timezone

from vms import fabric
from vms.models import Operation
from vms.operations import operation_complete


@task()
def carry_out_operation(operation_id: int, attempt: int) -> str:
    """Carry out one attempt of an operation and record how it ended."""
    current = Operation.objects.filter(pk=operation_id, attempts=attempt, status=Operation.Status.IN_PROGRESS)
    # The attempt's clock starts when a worker takes it up, so time spent queued behind other work is not "lost".
    if not current.update(attempt_started_at=timezone.now()):
        return "superseded"
    operation = current.get()
    error = fabric.carry_out(operation)
    if error is None:
        return "carried on by the fabric"  # it ends the operation itself (service healing, fabric/operations.py)
    finished = operation_complete(operation_id=operation_id, attempt=attempt, error=error)
    return "superseded" if finished is None else finished.status
