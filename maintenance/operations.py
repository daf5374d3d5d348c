"""What host maintenance does when one of its operations ends: the round hands over to the worker."""

from __future__ import annotations

from django.db import transaction

from maintenance.engine import MAINTENANCE_FOLLOW_UP
from maintenance.tasks import maintenance_operation_ended
from vms.models import Operation
from vms.operations import operation_follow_up


@operation_follow_up(MAINTENANCE_FOLLOW_UP)
def round_operation_ended(operation: Operation) -> None:
    """Queue the run's next move for the worker once this operation's end is committed, however it ended."""
    operation_id = operation.pk
    transaction.on_commit(lambda: maintenance_operation_ended.enqueue(operation_id))
