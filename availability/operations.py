"""What availability does when one of its operations ends: a rebalance's move starts the next one."""

from __future__ import annotations

from availability.services import REBALANCE_NEXT_MOVE, availability_set_rebalance_continue
from vms.models import Operation
from vms.operations import operation_follow_up


@operation_follow_up(REBALANCE_NEXT_MOVE)
def rebalance_next_move(operation: Operation) -> None:
    """Start the set's next move once this one has ended, or stop the rebalance if it failed."""
    availability_set_rebalance_continue(operation=operation)
