"""The applications' jobs on the worker's schedule."""

from __future__ import annotations

from applications.drills import drills_recover_stale, drills_waiting_advance
from portal.periodic import periodic


@periodic(name="applications.recover_stale_drills", seconds=30)
def recover_stale_drills() -> None:
    """Drive on drills whose worker stopped between steps, and end those that stay stuck."""
    drills_recover_stale()


@periodic(name="applications.advance_waiting_drills", seconds=1)
def advance_waiting_drills() -> None:
    """Move on the drills whose last step's VMs were waiting to return to rotation."""
    drills_waiting_advance()
