"""Host maintenance's jobs on the worker's schedule."""

from __future__ import annotations

from maintenance.engine import maintenance_runs_recover_stale, maintenance_runs_waiting_advance
from portal.periodic import periodic


@periodic(name="maintenance.recover_stale_runs", seconds=30)
def recover_stale_runs() -> None:
    """Drive on runs whose worker stopped between steps, and end those whose hosts' step was abandoned."""
    maintenance_runs_recover_stale()


@periodic(name="maintenance.advance_waiting_runs", seconds=1)
def advance_waiting_runs() -> None:
    """Move on the runs whose round's VMs were waiting to return to rotation."""
    maintenance_runs_waiting_advance()
