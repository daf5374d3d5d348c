"""Writes and checks for storage accounts: named ones and the one generated per region."""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal.models import Subscription
from portal.services import subscription_usage_add
from vms.models import Region, StorageAccount
from vms.services.usage import subscription_lock

# Checks: each rule once, keyed by the field a person fixes it in. The services call them before writing, and the
# wizard's forms call them to show the message on the page where the field is.


def storage_account_quota_check(*, subscription: Subscription, field: str = "storage_account") -> None:
    """Refuse another storage account once the subscription has its quota of them."""
    if subscription.storage_accounts_in_use >= subscription.storage_account_quota:
        raise ValidationError(
            {
                field: ValidationError(
                    "You are limited to %(quota)s storage accounts, and this subscription has them all.",
                    code="storage_account_quota",
                    params={"quota": subscription.storage_account_quota},
                )
            }
        )


def storage_account_generated_check(*, subscription: Subscription, region: Region) -> None:
    """Refuse a generated account for a region that has none yet when no storage account is left in the quota."""
    generated = subscription.storage_accounts.filter(region=region, automatically_generated=True)
    if not generated.exists():
        storage_account_quota_check(subscription=subscription)


def storage_account_region_check(*, storage_account: StorageAccount, region: Region) -> None:
    """Refuse a storage account outside the VM's region."""
    if storage_account.region_id != region.pk:
        raise ValidationError(
            {
                "storage_account": ValidationError(
                    "%(account)s is in %(account_region)s; choose a storage account in %(region)s.",
                    code="storage_account_region",
                    params={
                        "account": storage_account.name,
                        "account_region": storage_account.region,
                        "region": region,
                    },
                )
            }
        )


@transaction.atomic
def storage_account_create(*, subscription: Subscription, name: str, region: Region) -> StorageAccount:
    """Create a named storage account in a region."""
    subscription = subscription_lock(subscription)
    storage_account_quota_check(subscription=subscription, field="name")
    account = StorageAccount(subscription=subscription, name=name, region=region)
    account.full_clean()
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as error:
        raise ValidationError({"name": "That storage account name is taken."}, code="name_taken") from error
    subscription_usage_add(subscription=subscription, storage_accounts=1)
    return account


def storage_account_generated_for(*, subscription: Subscription, region: Region) -> tuple[StorageAccount, bool]:
    """Return the subscription's automatically generated account in a region and whether it was made now.

    The first time, it is made; the caller holds the subscription's lock and counts it in the usage.
    """
    existing = StorageAccount.objects.filter(subscription=subscription, region=region, automatically_generated=True)
    if account := existing.first():
        return account, False
    storage_account_quota_check(subscription=subscription)
    account = StorageAccount(
        subscription=subscription,
        region=region,
        name=f"portalvhds{secrets.token_hex(7)}",
        automatically_generated=True,
    )
    # The relations are the caller's own rows, the name is random and well formed, and the one account per region
    # was looked for above: only the fields' own rules are left to check.
    account.full_clean(exclude=["subscription", "region"], validate_unique=False, validate_constraints=False)
    account.save()
    return account, True
