"""Writes for affinity groups and virtual networks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from portal.models import Subscription
from vms.models import AffinityGroup, Region, Subnet, VirtualNetwork


def _name_taken(kind: str, name: str) -> ValidationError:
    return ValidationError(
        {
            "name": ValidationError(
                "This subscription already has %(kind)s named %(name)s.",
                code="name_taken",
                params={"kind": kind, "name": name},
            )
        }
    )


@transaction.atomic
def affinity_group_create(*, subscription: Subscription, name: str, region: Region, label: str = "") -> AffinityGroup:
    """Create an affinity group in a region; its name must be free in the subscription."""
    if subscription.affinity_groups.filter(name__iexact=name).exists():
        raise _name_taken("an affinity group", name)
    group = AffinityGroup(subscription=subscription, name=name, region=region, label=label)
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def virtual_network_create(
    *,
    subscription: Subscription,
    name: str,
    affinity_group: AffinityGroup,
    address_space: str = "10.0.0.0/16",
    subnets: list[tuple[str, str]] | None = None,
) -> VirtualNetwork:
    """Create a virtual network with its subnets (a single Subnet-1 when none are named)."""
    if subscription.virtual_networks.filter(name__iexact=name).exists():
        raise _name_taken("a virtual network", name)
    network = VirtualNetwork(
        subscription=subscription, name=name, affinity_group=affinity_group, address_space=address_space
    )
    network.full_clean()
    network.save()
    for subnet_name, prefix in subnets or [("Subnet-1", address_space.rsplit(".", 2)[0] + ".0.0/24")]:
        subnet = Subnet(virtual_network=network, name=subnet_name, address_prefix=prefix)
        try:
            subnet.full_clean()
        except ValidationError as error:
            # The subnet's fields are typed beside the network's: name each message after the field it concerns.
            fields = {"name": "subnet_name", "address_prefix": "subnet_address_prefix"}
            raise ValidationError(
                {fields.get(field, field): messages for field, messages in error.error_dict.items()}
            ) from error
        subnet.save()
    return network
