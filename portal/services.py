"""Writes for the shell: a subscription's usage counters."""

from __future__ import annotations

from django.db.models import F

from portal.models import Subscription

USAGE_FIELDS = ("cores_in_use", "virtual_machines_in_use", "cloud_services_in_use", "storage_accounts_in_use")


def subscription_usage_add(
    *,
    subscription: Subscription | None = None,
    subscription_id: int | None = None,
    cores: int = 0,
    virtual_machines: int = 0,
    cloud_services: int = 0,
    storage_accounts: int = 0,
) -> None:
    """Move a subscription's usage counters by the given amounts, in the caller's transaction.

    The update is one atomic statement on the subscription's row (it takes the row's lock until the transaction
    ends), so concurrent changes add up; a subscription passed in is moved the same way in memory.
    """
    changes = dict(
        zip(USAGE_FIELDS, (cores, virtual_machines, cloud_services, storage_accounts), strict=True),
    )
    changes = {field: amount for field, amount in changes.items() if amount}
    if not changes:
        return
    pk = subscription.pk if subscription is not None else subscription_id
    Subscription.objects.filter(pk=pk).update(**{field: F(field) + amount for field, amount in changes.items()})
    if subscription is None:
        return
    for field, amount in changes.items():
        setattr(subscription, field, getattr(subscription, field) + amount)
