"""What applications do when one of their operations ends: a drill's step hands over to the worker."""

from __future__ import annotations

from django.db import transaction

from applications.drills import DRILL_FOLLOW_UP
from applications.tasks import drill_operation_ended
from vms.models import Operation
from vms.operations import operation_follow_up


@operation_follow_up(DRILL_FOLLOW_UP)
def drill_step_operation_ended(operation: Operation) -> None:
    """Queue the drill's next move for the worker once this operation's end is committed, however it ended."""
    operation_id = operation.pk
    transaction.on_commit(lambda: drill_operation_ended.enqueue(operation_id))
