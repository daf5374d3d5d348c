"""Housekeeping for the wizard's uploaded certificates."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings

from portal.wizard_storage import DRAFT_MAX_AGE_SECONDS


def wizard_uploads_prune(*, older_than: float = DRAFT_MAX_AGE_SECONDS) -> int:
    """Delete uploaded certificates older than any wizard draft can live, and their runs' folders; return how many."""
    root = Path(settings.WIZARD_UPLOAD_ROOT)
    cutoff = time.time() - older_than
    removed = 0
    paths = sorted(root.rglob("*"), reverse=True) if root.exists() else []  # a folder after what is in it
    emptied = set()
    for path in paths:
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            emptied.add(path.parent)
            removed += 1
        elif path.is_dir() and (path in emptied or path.stat().st_mtime < cutoff) and not any(path.iterdir()):
            path.rmdir()  # a wizard run's own folder, once its files are gone
    return removed
