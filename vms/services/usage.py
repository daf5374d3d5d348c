"""A subscription's usage: its lock, the cores its VMs hold, its counters and their recount, the cores quota."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum

from portal.models import Subscription
from portal.services import USAGE_FIELDS
from vms.models import CloudService, RoleSize, StorageAccount, VirtualMachine


def subscription_lock(subscription: Subscription) -> Subscription:
    """Lock a subscription's row so that quota checks and the writes they guard run one at a time."""
    return Subscription.objects.select_for_update().get(pk=subscription.pk)


def subscription_cores_in_use(subscription: Subscription, *, excluding: VirtualMachine | None = None) -> int:
    """Return the cores the subscription's VMs hold (a shared core counts as a full one), from its counter."""
    in_use = subscription.cores_in_use
    if excluding is not None:
        in_use -= excluding.size.cores
    return in_use


def subscription_usage_counted(subscription: Subscription) -> dict[str, int]:
    """Count what the subscription uses from its rows: what its usage counters should say."""
    vms = VirtualMachine.objects.filter(cloud_service__subscription=subscription).aggregate(
        cores=Sum("size__cores"), count=Count("pk")
    )
    return {
        "cores_in_use": vms["cores"] or 0,
        "virtual_machines_in_use": vms["count"],
        "cloud_services_in_use": CloudService.objects.filter(subscription=subscription).count(),
        "storage_accounts_in_use": StorageAccount.objects.filter(subscription=subscription).count(),
    }


@transaction.atomic
def subscription_usage_recount(*, subscription: Subscription, fix: bool = True) -> dict[str, tuple[int, int]]:
    """Recount a subscription's usage under its lock; return each counter that drifted as (kept, counted).

    With fix, the counters are set to what was counted. Staff edits in the admin use this after each change.
    """
    locked = subscription_lock(subscription)
    counted = subscription_usage_counted(locked)
    drift = {
        field: (getattr(locked, field), value) for field, value in counted.items() if getattr(locked, field) != value
    }
    if fix and drift:
        Subscription.objects.filter(pk=locked.pk).update(**counted)
    if fix:
        for field in USAGE_FIELDS:
            setattr(subscription, field, counted[field])
    return drift


def subscription_cores_check(
    *, subscription: Subscription, size: RoleSize, excluding: VirtualMachine | None = None
) -> None:
    """Refuse a size that would take the subscription over its cores quota."""
    in_use = subscription_cores_in_use(subscription, excluding=excluding)
    if in_use + size.cores > subscription.core_quota:
        raise ValidationError(
            {
                "size": ValidationError(
                    "%(size)s needs %(needed)s cores but only %(free)s of the subscription's %(quota)s are free.",
                    code="core_quota",
                    params={
                        "size": size.name,
                        "needed": size.cores,
                        "free": max(subscription.core_quota - in_use, 0),
                        "quota": subscription.core_quota,
                    },
                )
            }
        )
