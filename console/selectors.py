"""Reads for the pages that compose several apps: Settings -> Subscriptions, with usage against its limits."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from endpoints.selectors import endpoints_in_use
from endpoints.services import ENDPOINTS_PER_CLOUD_SERVICE
from portal.models import Subscription
from portal.selectors import subscriptions_with_administrators


@dataclass(frozen=True)
class Usage:
    """One bar: how much of a limit a subscription uses now."""

    name: str
    used: int
    limit: int
    note: str = ""

    @property
    def high(self) -> int:
        """Where the bar turns to a warning: four fifths of the limit."""
        return self.limit * 4 // 5


@dataclass(frozen=True)
class SubscriptionSettings:
    subscription: Subscription
    administrators: list
    usage: list[Usage]


def usage_of(subscription: Subscription, *, endpoints: int) -> list[Usage]:
    """The Usage bars: cores, virtual machines, cloud services, storage accounts and endpoints against their limits."""
    return [
        Usage("Cores", subscription.cores_in_use, subscription.core_quota),
        # No VM quota of its own: each VM takes at least one core (ExtraSmall counts as a full core).
        Usage(
            "Virtual machines",
            subscription.virtual_machines_in_use,
            subscription.core_quota,
            "Each virtual machine takes at least one core.",
        ),
        Usage("Cloud services", subscription.cloud_services_in_use, subscription.cloud_service_quota),
        Usage("Storage accounts", subscription.storage_accounts_in_use, subscription.storage_account_quota),
        # Endpoints are limited per cloud service; the subscription's limit is that times its cloud service quota.
        Usage(
            "Endpoints",
            endpoints,
            ENDPOINTS_PER_CLOUD_SERVICE * subscription.cloud_service_quota,
            f"{ENDPOINTS_PER_CLOUD_SERVICE} input endpoints per cloud service.",
        ),
    ]


def subscription_settings(user: AbstractBaseUser) -> list[SubscriptionSettings]:
    """Each subscription the user belongs to, with its administrators and usage; three queries for any number."""
    subscriptions = list(subscriptions_with_administrators(user))
    endpoints = endpoints_in_use(subscriptions=subscriptions)
    return [
        SubscriptionSettings(
            subscription=subscription,
            administrators=subscription.administrators,
            usage=usage_of(subscription, endpoints=endpoints.get(subscription.pk, 0)),
        )
        for subscription in subscriptions
    ]
