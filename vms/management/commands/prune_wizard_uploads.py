"""Delete SSH certificates left behind by wizard drafts that were abandoned or have expired."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from vms.wizard_storage import DRAFT_MAX_AGE_SECONDS


class Command(BaseCommand):
    help = "Remove uploaded certificates older than a wizard draft can live (24 hours by default)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than", type=int, default=DRAFT_MAX_AGE_SECONDS, help="Age in seconds.")

    def handle(self, *args, older_than: int, **options) -> None:
        root = Path(settings.WIZARD_UPLOAD_ROOT)
        cutoff = time.time() - older_than
        removed = 0
        for path in root.rglob("*") if root.exists() else []:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        self.stdout.write(f"Removed {removed} abandoned upload(s) from {root}.")
