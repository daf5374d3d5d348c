"""Reads for the list pages, the notifications, the activity log, the gallery and the locations, in fixed queries."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from portal.models import Subscription
from vms.models import (
    AffinityGroup,
    CloudService,
    Image,
    Operation,
    OperationDismissal,
    OSFamily,
    Region,
    StorageAccount,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)

RECENT_OPERATIONS_SHOWN = 5
RDP_PORT = 3389
SSH_PORT = 22
NOTIFICATIONS_SHOWN = 20


class OperationRow(NamedTuple):
    """A line of a VM's activity: plain values (portal/fragments.py)."""

    title: str
    status: str
    status_label: str
    in_progress: bool
    started_at: datetime
    message: str


class CloudServiceRow(NamedTuple):
    """A line of the Cloud Services list: plain values (portal/fragments.py)."""

    pk: int
    name: str
    dns_name: str
    location: str
    vm_count: int
    availability_set_count: int


def cloud_service_rows(services: list[CloudService]) -> list[CloudServiceRow]:
    """Return a page of `cloud_service_list` (with its set counts) as rows."""
    return [
        CloudServiceRow(
            service.pk,
            service.name,
            service.dns_name,
            service.affinity_group.name if service.affinity_group else service.region.name,
            service.vm_count,
            service.availability_set_count,
        )
        for service in services
    ]


class ActivityRow(NamedTuple):
    """A line of the activity log: plain values (portal/fragments.py)."""

    virtual_machine_id: int | None
    title: str
    in_progress: bool
    status_label: str
    message: str
    started_at: datetime
    ended_at: datetime | None
    requested_by: str


def activity_rows(operations: list[Operation]) -> list[ActivityRow]:
    """Return a page of `operation_list` as rows."""
    return [
        ActivityRow(
            operation.virtual_machine_id,
            operation.title,
            operation.in_progress,
            operation.get_status_display(),
            operation.message,
            operation.started_at,
            operation.ended_at,
            operation.requested_by.get_username() if operation.requested_by else "",
        )
        for operation in operations
    ]


def operation_row(title: str, status: str, started_at: datetime, message: str) -> OperationRow:
    """Return an operation's values as an activity row."""
    label = Operation.Status(status).label
    return OperationRow(title, status, label, status == Operation.Status.IN_PROGRESS, started_at, message)


def count_of(queryset: QuerySet, *, per: str) -> Coalesce:
    """Count a related queryset's rows per outer row (filtered on `per` = the outer pk) as a correlated subquery.

    Unlike a joined Count, which groups every row before the page is cut, the database evaluates this only for
    the rows of the page.
    """
    counted = (
        queryset.filter(**{per: OuterRef("pk")}).order_by().values(per).annotate(count=Count("pk")).values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def cloud_service_list(*, subscription: Subscription) -> QuerySet[CloudService]:
    """Return the subscription's cloud services with how many VMs each holds."""
    return (
        CloudService.objects.filter(subscription=subscription)
        .select_related("region", "affinity_group")
        .only("name", "subscription_id", "region__name", "affinity_group__name")
        .annotate(vm_count=count_of(VirtualMachine.objects.all(), per="cloud_service"))
        .order_by("name", "pk")
    )


CLOUD_SERVICES_SUGGESTED = 20


def cloud_services_to_connect(*, subscription: Subscription) -> QuerySet[CloudService]:
    """Return the subscription's cloud services that hold a VM to connect to, by name."""
    return (
        CloudService.objects.filter(subscription=subscription)
        .filter(Exists(VirtualMachine.objects.filter(cloud_service=OuterRef("pk"))))
        .select_related("region", "virtual_network")
        .order_by("name", "pk")
    )


def cloud_services_matching(*, subscription: Subscription, text: str) -> list[CloudService]:
    """Return the first few cloud services to connect to whose DNS name starts with the text typed."""
    services = cloud_services_to_connect(subscription=subscription)
    text = text.strip().lower()
    if text:
        services = services.filter(name__startswith=text)
    return list(services[:CLOUD_SERVICES_SUGGESTED])


def storage_account_list(*, subscription: Subscription) -> QuerySet[StorageAccount]:
    """Return the subscription's storage accounts with their regions."""
    return StorageAccount.objects.filter(subscription=subscription).select_related("region").order_by("name")


def affinity_group_list(*, subscription: Subscription) -> QuerySet[AffinityGroup]:
    """Return the subscription's affinity groups with their regions."""
    return AffinityGroup.objects.filter(subscription=subscription).select_related("region").order_by("name", "pk")


def virtual_network_list(*, subscription: Subscription) -> QuerySet[VirtualNetwork]:
    """Return the subscription's virtual networks with their affinity group, region and subnets."""
    return (
        VirtualNetwork.objects.filter(subscription=subscription)
        .select_related("affinity_group__region")
        .prefetch_related(Prefetch("subnets", queryset=Subnet.objects.order_by("name")))
        .order_by("name", "pk")
    )


def operations_in_progress(*, subscription: Subscription) -> QuerySet[Operation]:
    """Return the subscription's operations that have not finished, newest first."""
    return Operation.objects.filter(subscription=subscription, status=Operation.Status.IN_PROGRESS).order_by(
        "-started_at", "-pk"
    )


def operations_recently_finished(
    *, subscription: Subscription, since: datetime, limit: int = RECENT_OPERATIONS_SHOWN
) -> QuerySet[Operation]:
    """Return the last few operations that finished after `since`, newest first."""
    return (
        Operation.objects.filter(subscription=subscription, ended_at__gte=since)
        .exclude(status=Operation.Status.IN_PROGRESS)
        .order_by("-ended_at", "-pk")[:limit]
    )


def notifications_query(*, subscription: Subscription, user: AbstractBaseUser, since: datetime) -> QuerySet[Operation]:
    """Return the query behind the notification area: in progress, or finished after `since`, and not dismissed."""
    dismissed = OperationDismissal.objects.filter(operation=OuterRef("pk"), user=user)
    return (
        Operation.objects.filter(subscription=subscription)
        .filter(Q(status=Operation.Status.IN_PROGRESS) | Q(ended_at__gte=since))
        .exclude(Exists(dismissed))
        .order_by("-started_at", "-pk")
    )


def notifications_for(
    *, subscription: Subscription, user: AbstractBaseUser, since: datetime, limit: int = NOTIFICATIONS_SHOWN
) -> list[Operation]:
    """Return, in one query, the operations in progress and those finished after `since` that this person has not
    dismissed: in progress first, then newest first."""
    operations = list(notifications_query(subscription=subscription, user=user, since=since)[:limit])
    finished = sorted(
        (op for op in operations if not op.in_progress), key=lambda op: (op.ended_at, op.pk), reverse=True
    )
    return [op for op in operations if op.in_progress] + finished[:RECENT_OPERATIONS_SHOWN]


def operation_list(*, subscription: Subscription) -> QuerySet[Operation]:
    """Return every operation of the subscription for the activity log, newest first."""
    return (
        Operation.objects.filter(subscription=subscription)
        .select_related("requested_by")
        .only(
            "kind",
            "title",
            "target_name",
            "status",
            "message",
            "started_at",
            "ended_at",
            "virtual_machine_id",
            "subscription_id",
            "requested_by__username",
        )
        .order_by("-started_at", "-pk")
    )


class RemoteAccess(NamedTuple):
    """Where Connect reaches a VM: Remote Desktop for Windows, SSH for Linux."""

    protocol: str
    host: str
    port: int
    username: str


def vm_remote_access(vm: VirtualMachine) -> RemoteAccess:
    """Return the VM's remote-access endpoint: its cloud service's DNS name and the protocol's standard port."""
    if vm.image_version.image.os_family == OSFamily.LINUX:
        return RemoteAccess("ssh", vm.cloud_service.dns_name, SSH_PORT, vm.admin_username)
    return RemoteAccess("rdp", vm.cloud_service.dns_name, RDP_PORT, vm.admin_username)


LOCATION_HEADINGS = {"region": "Regions", "affinity-group": "Affinity Groups", "virtual-network": "Virtual Networks"}


def location_sources(subscription: Subscription) -> dict[str, QuerySet]:
    """Where a new cloud service can be placed, by the kind a choice's key starts with ("region-3")."""
    return {
        "region": Region.objects.all(),
        "affinity-group": subscription.affinity_groups.select_related("region"),
        "virtual-network": subscription.virtual_networks.select_related("affinity_group__region"),
    }


def location_choices(subscription: Subscription) -> tuple[list, dict[str, Region | AffinityGroup | VirtualNetwork]]:
    """List the regions, affinity groups and virtual networks a new cloud service can be placed in, grouped."""
    locations: dict[str, Region | AffinityGroup | VirtualNetwork] = {}
    choices: list = [("", "Choose a region, affinity group or virtual network")]
    for kind, objects in location_sources(subscription).items():
        heading = LOCATION_HEADINGS[kind]
        options = []
        for obj in objects:
            key = f"{kind}-{obj.pk}"
            locations[key] = obj
            label = obj.name if kind == "region" else f"{obj.name} ({obj.region})"
            options.append((key, label))
        if options:
            choices.append((heading, options))
    return choices, locations


def gallery_images() -> QuerySet[Image]:
    """Return the active platform images of the gallery."""
    return Image.objects.filter(category=Image.Category.PLATFORM, is_active=True)


def gallery_categories(images: list[Image]) -> list[tuple[str, str]]:
    """List the gallery's categories: all, each OS family, then each publisher."""
    publishers = sorted({image.publisher for image in images})
    return [
        ("", "All"),
        *((f"os:{value}", label) for value, label in OSFamily.choices),
        *((f"publisher:{publisher}", publisher) for publisher in publishers),
    ]


def gallery_filter(images: list[Image], *, category: str, text: str) -> list[Image]:
    """Keep the images in a category whose name, publisher or description contains the text."""
    kind, _, value = category.partition(":")
    text = text.strip().lower()
    kept = []
    for image in images:
        if kind == "os" and image.os_family != value:
            continue
        if kind == "publisher" and image.publisher != value:
            continue
        if text and not any(text in part.lower() for part in (image.name, image.publisher, image.description)):
            continue
        kept.append(image)
    return kept
