"""Delete SSH certificates left behind by wizard drafts that were abandoned or have expired."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.wizard_storage import DRAFT_MAX_AGE_SECONDS
from vms.services.uploads import wizard_uploads_prune


class Command(BaseCommand):
    help = "Remove uploaded certificates older than a wizard draft can live (the worker also does this hourly)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than", type=int, default=DRAFT_MAX_AGE_SECONDS, help="Age in seconds.")

    def handle(self, *args, older_than: int, **options) -> None:
        removed = wizard_uploads_prune(older_than=older_than)
        self.stdout.write(f"Removed {removed} abandoned upload(s) from {settings.WIZARD_UPLOAD_ROOT}.")
