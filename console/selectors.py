"""Reads for the pages that compose several apps: Settings -> Subscriptions, with usage against its limits, and how
a client reaches a VM from its dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import FilteredRelation, Q, QuerySet

from endpoints.models import Protocol
from endpoints.selectors import endpoints_in_use
from endpoints.services import ENDPOINTS_PER_CLOUD_SERVICE
from portal.models import Subscription
from portal.selectors import subscriptions_with_administrators
from portal.sql import compiled_values
from vms.models import CloudService, VirtualMachine
from vms.selectors import RemoteAccess, vm_remote_access


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


class Port(NamedTuple):
    """An input endpoint of a VM as a client uses it: a public port of the cloud service to a port of the VM."""

    name: str
    protocol: str
    public_port: int
    private_port: int
    load_balanced_set: str


class Access(NamedTuple):
    """How a client reaches a VM, as its dashboard's quick glance shows it: plain values (portal/fragments.py)."""

    dns_name: str
    public_address: str  # the cloud service's address at its region's load balancer, if it has one
    ports: tuple[Port, ...]


@compiled_values
def _access_values(cloud_service_id: int, virtual_machine_id: int) -> QuerySet:
    # One row per endpoint of the VM, or one row of nulls when it has none: the cloud service's row always comes.
    return (
        CloudService.objects.filter(pk=cloud_service_id)
        .annotate(own=FilteredRelation("endpoints", condition=Q(endpoints__virtual_machine_id=virtual_machine_id)))
        .values_list(
            "name",
            "public_address__address",
            "public_address__load_balancer__enabled",
            "own__name",
            "own__protocol",
            "own__public_port",
            "own__private_port",
            "own__load_balanced_set__name",
        )
        .order_by("own__public_port", "own__protocol")
    )


def virtual_machine_access(*, cloud_service_pk: int, virtual_machine_pk: int) -> Access | None:
    """Return the public address and input endpoints a client uses to reach a VM, in one query; None if no service."""
    rows = _access_values(cloud_service_pk, virtual_machine_pk)
    if not rows:
        return None
    service, address, carried = rows[0][:3]
    ports = tuple(
        Port(name, Protocol(protocol).label, public_port, private_port, lb_set or "")
        for _, _, _, name, protocol, public_port, private_port, lb_set in rows
        if name is not None
    )
    # The address a client uses, while the region's load balancer carries the cloud service.
    return Access(
        dns_name=CloudService.dns_name_of(service), public_address=(address if carried else "") or "", ports=ports
    )


def virtual_machine_remote_access(vm: VirtualMachine) -> RemoteAccess:
    """Where Connect reaches a VM: the public port its endpoint to the protocol's port has (a second VM's SSH is
    seldom on 22), at the address a client uses; the standard port and the DNS name when it has no such endpoint."""
    standard = vm_remote_access(vm)
    access = virtual_machine_access(cloud_service_pk=vm.cloud_service_id, virtual_machine_pk=vm.pk)
    if access is None:
        return standard
    public_port = next(
        (
            port.public_port
            for port in access.ports
            if port.private_port == standard.port and port.protocol == Protocol.TCP.label
        ),
        standard.port,
    )
    return standard._replace(host=access.public_address or standard.host, port=public_port)
