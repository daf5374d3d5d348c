"""The catalog's background jobs: recovering lost operations and pruning abandoned wizard uploads."""

from __future__ import annotations

from django.conf import settings

from portal.periodic import periodic
from portal.wizard_storage import DRAFT_PRUNE_SECONDS
from vms.services.operations import operations_recover_stale
from vms.services.uploads import wizard_uploads_prune


@periodic(name="vms.recover_stale_operations", seconds=lambda: settings.OPERATION_SWEEP_SECONDS)
def recover_stale_operations() -> None:
    """Retry or fail every operation whose worker stopped before finishing it."""
    operations_recover_stale()


@periodic(name="vms.prune_wizard_uploads", seconds=DRAFT_PRUNE_SECONDS)
def prune_wizard_uploads() -> None:
    """Delete SSH certificates that wizard drafts left behind."""
    wizard_uploads_prune()
