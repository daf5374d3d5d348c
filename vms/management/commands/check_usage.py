"""Recount every subscription's usage and report where its counters drifted; --fix sets them right."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from portal.models import Subscription
from vms.services.usage import subscription_usage_recount


class Command(BaseCommand):
    help = (
        "Recount each subscription's cores, virtual machines, cloud services and storage accounts in use and "
        "compare them with its usage counters. Exits 1 when one drifted, unless --fix set it right."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--fix", action="store_true", help="Set drifted counters to what was counted.")

    def handle(self, *args, fix: bool = False, **options) -> None:
        drifted = 0
        for subscription in Subscription.objects.order_by("pk").iterator():
            drift = subscription_usage_recount(subscription=subscription, fix=fix)
            for field, (kept, counted) in drift.items():
                drifted += 1
                verdict = "fixed" if fix else "drifted"
                self.stdout.write(
                    f"{subscription.name} ({subscription.pk}): {field} kept {kept}, counted {counted}: {verdict}"
                )
        if not drifted:
            self.stdout.write("Every subscription's usage counters match its rows.")
        elif fix:
            self.stdout.write(f"Fixed {drifted} drifted counter(s).")
        else:
            raise CommandError(f"{drifted} usage counter(s) drifted; run with --fix to set them right.", returncode=1)
