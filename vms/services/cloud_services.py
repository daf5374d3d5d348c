"""Writes and checks for cloud services: the DNS name, the quota, the capacity, create, add and delete."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from portal.models import Subscription
from portal.services import subscription_usage_add
from vms.models import AffinityGroup, CloudService, Region, VirtualNetwork
from vms.services.usage import subscription_lock
from vms.validators import validate_dns_name

VMS_PER_CLOUD_SERVICE = 50


def dns_name_check(name: str) -> None:
    """Refuse a DNS name that breaks the naming rule or is taken by any subscription."""
    try:
        validate_dns_name(name)
    except ValidationError as error:
        raise ValidationError({"dns_name": error}) from error
    if CloudService.objects.filter(name=name).exists():
        raise _dns_name_taken(name)


def cloud_service_quota_check(*, subscription: Subscription) -> None:
    """Refuse another cloud service once the subscription has its quota of them."""
    if subscription.cloud_services_in_use >= subscription.cloud_service_quota:
        raise ValidationError(
            {
                "dns_name": ValidationError(
                    "This subscription already has its %(quota)s cloud services.",
                    code="cloud_service_quota",
                    params={"quota": subscription.cloud_service_quota},
                )
            }
        )


def cloud_service_capacity_check(*, cloud_service: CloudService) -> None:
    """Refuse another VM in a cloud service that holds the most it may."""
    if cloud_service.virtual_machines.count() >= VMS_PER_CLOUD_SERVICE:
        raise ValidationError(
            {
                "cloud_service": ValidationError(
                    "A cloud service holds at most %(limit)s virtual machines.",
                    code="cloud_service_full",
                    params={"limit": VMS_PER_CLOUD_SERVICE},
                )
            }
        )


def _dns_name_taken(name: str) -> ValidationError:
    return ValidationError(
        {
            "dns_name": ValidationError(
                "%(name)s.cloudapp.net is already taken. Choose another DNS name.",
                code="dns_name_taken",
                params={"name": name},
            )
        }
    )


def cloud_service_create(
    *,
    subscription: Subscription,
    name: str,
    region: Region,
    affinity_group: AffinityGroup | None = None,
    virtual_network: VirtualNetwork | None = None,
) -> CloudService:
    """Create a cloud service under the subscription's quota; its DNS name must be free everywhere.

    The caller holds the subscription's lock and counts the service in the usage. A name taken meanwhile is
    refused by the database's unique index, with the same message as dns_name_check.
    """
    try:
        validate_dns_name(name)
    except ValidationError as error:
        raise ValidationError({"dns_name": error}) from error
    cloud_service_quota_check(subscription=subscription)
    service = CloudService(
        subscription=subscription,
        name=name,
        region=region,
        affinity_group=affinity_group,
        virtual_network=virtual_network,
    )
    service.full_clean(
        exclude=["subscription", "region", "affinity_group", "virtual_network"],
        validate_unique=False,
        validate_constraints=False,
    )
    try:
        with transaction.atomic():
            service.save()
    except IntegrityError as error:
        raise _dns_name_taken(name) from error
    return service


@transaction.atomic
def cloud_service_add(
    *, subscription: Subscription, name: str, region: Region, affinity_group: AffinityGroup | None = None
) -> CloudService:
    """Create an empty cloud service (New -> Cloud Service) under the subscription's lock, as a deploy does."""
    subscription = subscription_lock(subscription)
    service = cloud_service_create(subscription=subscription, name=name, region=region, affinity_group=affinity_group)
    subscription_usage_add(subscription=subscription, cloud_services=1)
    return service


@transaction.atomic
def cloud_service_delete(*, cloud_service: CloudService) -> None:
    """Delete a cloud service that holds no virtual machines, with its availability sets."""
    subscription_lock(cloud_service.subscription)
    locked = CloudService.objects.select_for_update().get(pk=cloud_service.pk)
    if locked.virtual_machines.exists():
        raise ValidationError(
            "The cloud service %(name)s still holds virtual machines; delete them first.",
            code="cloud_service_in_use",
            params={"name": locked.name},
        )
    locked.delete()
    subscription_usage_add(subscription_id=locked.subscription_id, cloud_services=-1)


@transaction.atomic
def cloud_service_virtual_network_set(*, cloud_service: CloudService, virtual_network: VirtualNetwork) -> CloudService:
    """Place an empty cloud service in a virtual network of its subscription and region, before its first VM."""
    locked = CloudService.objects.select_for_update().get(pk=cloud_service.pk)
    if locked.virtual_network_id == virtual_network.pk:
        return locked
    if virtual_network.subscription_id != locked.subscription_id:
        raise ValidationError(
            {"virtual_network": ValidationError("Choose a virtual network of this subscription.", code="foreign")}
        )
    if locked.virtual_machines.exists():
        raise ValidationError(
            {
                "virtual_network": ValidationError(
                    "The cloud service %(name)s already holds virtual machines; its virtual network cannot change.",
                    code="cloud_service_in_use",
                    params={"name": locked.name},
                )
            }
        )
    affinity_group = virtual_network.affinity_group
    if locked.affinity_group_id not in (None, affinity_group.pk) or affinity_group.region_id != locked.region_id:
        raise ValidationError(
            {
                "virtual_network": ValidationError(
                    "The virtual network %(network)s is in another region or affinity group than the cloud service.",
                    code="other_region",
                    params={"network": virtual_network.name},
                )
            }
        )
    locked.virtual_network = virtual_network
    locked.affinity_group = affinity_group
    locked.save(update_fields=["virtual_network", "affinity_group"])
    return locked
