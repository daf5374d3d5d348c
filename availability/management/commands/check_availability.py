"""Report every availability set's spread, and fail when one is out of balance."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from availability.models import AvailabilitySet
from availability.placement import Slot, is_balanced


class Command(BaseCommand):
    help = "List each availability set with its members per fault and update domain; exit 1 if any set is unbalanced."

    def handle(self, *args, **options) -> None:
        unbalanced = []
        sets = AvailabilitySet.objects.select_related("cloud_service").prefetch_related("memberships")
        for availability_set in sets.order_by("cloud_service__name", "name"):
            slots = [Slot(m.fault_domain, m.update_domain) for m in availability_set.memberships.all()]
            balanced = is_balanced(
                slots,
                fault_domain_count=availability_set.fault_domain_count,
                update_domain_count=availability_set.update_domain_count,
            )
            if not balanced:
                unbalanced.append(availability_set)
            self.stdout.write(
                f"{availability_set.cloud_service.name}/{availability_set.name}: {len(slots)} members, "
                f"{'balanced' if balanced else 'UNBALANCED'}"
            )
        if unbalanced:
            raise CommandError(f"{len(unbalanced)} availability set(s) are out of balance.")
