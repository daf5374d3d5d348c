"""What applications do when one of their operations ends: a drill's step hands over to the worker."""

from __future__ import annotations

from applications.drills import DRILL_FOLLOW_UP
from applications.tasks import drill_operation_ended
from vms.advancing import operation_follow_up_enqueue

# Queue the drill's next move for the worker once the operation's end is committed, however it ended.
drill_step_operation_ended = operation_follow_up_enqueue(DRILL_FOLLOW_UP, drill_operation_ended)
