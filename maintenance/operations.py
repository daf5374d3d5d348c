"""What host maintenance does when one of its operations ends: the round hands over to the worker."""

from __future__ import annotations

from maintenance.engine import MAINTENANCE_FOLLOW_UP
from maintenance.tasks import maintenance_operation_ended
from vms.advancing import operation_follow_up_enqueue

# Queue the run's next move for the worker once the operation's end is committed, however it ended.
round_operation_ended = operation_follow_up_enqueue(MAINTENANCE_FOLLOW_UP, maintenance_operation_ended)
