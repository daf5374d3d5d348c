"""The VM app's jobs on the worker's schedule."""

from __future__ import annotations

from portal.periodic import periodic
from vms.services import operations_recover_stale


@periodic(name="vms.recover_stale_operations", seconds=5)
def recover_stale_operations() -> None:
    """Retry or fail the operations whose worker stopped before finishing them."""
    operations_recover_stale()
