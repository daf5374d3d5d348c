"""Housekeeping for the wizard's uploaded certificates."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

from vms.wizard_storage import DRAFT_MAX_AGE_SECONDS


def wizard_uploads_prune(*, older_than: float = DRAFT_MAX_AGE_SECONDS) -> int:
    """Delete uploaded certificates older than any wizard draft can live; return how many went."""
    root = Path(settings.WIZARD_UPLOAD_ROOT)
    cutoff = time.time() - older_than
    removed = 0
    for path in root.rglob("*") if root.exists() else []:
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
