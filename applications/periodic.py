"""The applications' jobs on the worker's schedule."""

from __future__ import annotations

from applications.drills import drills_recover_stale
from portal.periodic import periodic


@periodic(name="applications.recover_stale_drills", seconds=30)
def recover_stale_drills() -> None:
    """Drive on drills whose worker stopped between steps, and end those that stay stuck."""
    drills_recover_stale()
