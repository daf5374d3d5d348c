"""Reads for the list pages' set columns, a VM's dashboard and Configure tab, and the availability-set pages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from django.db.models import Count, Prefetch, QuerySet

from availability.models import AvailabilitySet, FaultDomainRack, Membership
from availability.placement import Move, Slot, is_balanced, rebalance_plan
from fabric.placement import shared_racks
from portal.models import Subscription
from portal.sql import compiled_values
from portal.text import join_and
from vms.models import OS_DISK_GB, CloudService, Image, ImageVersion, Operation, RoleSize, VirtualMachine
from vms.selectors import OperationRow, cloud_service_list, count_of, operation_row

RECENT_OPERATIONS = 10
SLA_MINIMUM_MEMBERS = 2


def virtual_machines_for(subscription: Subscription) -> QuerySet[VirtualMachine]:
    """Return the subscription's VMs joined with everything their dashboard shows."""
    return VirtualMachine.objects.filter(subscription=subscription).select_related(
        "cloud_service__region",
        "cloud_service__affinity_group",
        "cloud_service__virtual_network",
        "size",
        "storage_account",
        "image_version__image",
        "subnet",
        "membership__availability_set",
    )


class QuickGlance(NamedTuple):
    """What a VM's dashboard says about it beside its status: plain values (portal/fragments.py)."""

    dns_name: str
    size: str
    region: str
    virtual_network: str
    subnet: str
    affinity_group: str
    cloud_service_pk: int
    cloud_service: str
    storage_account: str
    image: str
    admin_username: str
    availability_set_pk: int | None
    availability_set: str
    fault_domain: int | None
    update_domain: int | None
    internal_address: str = ""
    host: str = ""
    rack: str = ""
    os_disk_gb: int = 0
    os_disk: str = ""  # where its VHD lives in the storage account


class DashboardMachine(NamedTuple):
    """A VM as its dashboard shows it; the templates read it as they read a VirtualMachine."""

    pk: int
    name: str
    status: str
    status_label: str
    is_busy: bool
    held_by: str
    os_family: str
    glance: QuickGlance


DASHBOARD_VALUES = (
    "pk",
    "name",
    "status",
    "held_by",
    "admin_username",
    "cloud_service_id",
    "cloud_service__name",
    "cloud_service__region__name",
    "cloud_service__affinity_group__name",
    "cloud_service__virtual_network__name",
    "size__name",
    "size__label",
    "size__cores",
    "size__shared_core",
    "size__memory_mb",
    "storage_account__name",
    "image_version__release_date",
    "image_version__image__name",
    "image_version__image__os_family",
    "subnet__name",
    "membership__availability_set_id",
    "membership__availability_set__name",
    "membership__fault_domain",
    "membership__update_domain",
    "placement__address",
    "placement__host__name",
    "placement__host__rack__name",
    "created_at",
)


@compiled_values
def _dashboard_values(subscription_id: int, pk: int) -> QuerySet:
    return (
        VirtualMachine.objects.filter(subscription_id=subscription_id, pk=pk).values_list(*DASHBOARD_VALUES).order_by()
    )


def virtual_machine_dashboard(subscription: Subscription, pk: int) -> DashboardMachine | None:
    """Return one of the subscription's VMs as its dashboard shows it, or None if it has no such VM.

    A dashboard is the portal's most visited page and polls while its VM is busy, so its fourteen-table read is
    compiled once per process (portal/sql.py) and filtered on the VM's own subscription.
    """
    rows = _dashboard_values(subscription.pk, pk)
    if not rows:
        return None
    (
        pk, name, status, held_by, admin_username,
        service_pk, service, region, affinity_group, virtual_network,
        size_name, size_label, cores, shared_core, memory_mb,
        storage_account, release_date, image, os_family, subnet,
        set_pk, set_name, fault_domain, update_domain,
        address, host, rack, created_at,
    ) = rows[0]  # fmt: skip
    size = RoleSize(name=size_name, label=size_label, cores=cores, shared_core=shared_core, memory_mb=memory_mb)
    glance = QuickGlance(
        dns_name=CloudService.dns_name_of(service),
        size=str(size),
        region=region,
        virtual_network=virtual_network or "",
        subnet=subnet or "",
        affinity_group=affinity_group or "",
        cloud_service_pk=service_pk,
        cloud_service=service,
        storage_account=storage_account,
        image=str(ImageVersion(release_date=release_date, image=Image(name=image))),
        admin_username=admin_username,
        availability_set_pk=set_pk,
        availability_set=set_name or "",
        fault_domain=fault_domain,
        update_domain=update_domain,
        internal_address=address or "",
        host=host or "",
        rack=rack or "",
        os_disk_gb=OS_DISK_GB[os_family],
        os_disk=VirtualMachine.os_disk_link_of(
            storage_account, VirtualMachine.os_disk_name_of(service, name, created_at)
        ),
    )
    return DashboardMachine(
        pk=pk,
        name=name,
        status=status,
        status_label=VirtualMachine.Status(status).label,
        is_busy=VirtualMachine.status_is_busy(status),
        held_by=held_by,
        os_family=os_family,
        glance=glance,
    )


class VirtualMachineRow(NamedTuple):
    """A line of the VM list: the plain values it shows (portal/fragments.py renders it once per content)."""

    pk: int
    name: str
    status: str
    status_label: str
    busy: bool
    location: str
    dns_name: str
    availability_set: str
    created_at: datetime | None = None


VM_ROW_VALUES = (
    "pk",
    "name",
    "status",
    "cloud_service__name",
    "cloud_service__region__name",
    "cloud_service__affinity_group__name",
    "membership__availability_set__name",
    "created_at",
)


def virtual_machine_values(subscription: Subscription) -> QuerySet:
    """Return the VM list's values, its set's name joined; `virtual_machine_rows` turns a page of them into rows.

    It filters on the VM's own subscription, so that one index (subscription, name, id) serves filter and order.
    """
    return VirtualMachine.objects.filter(subscription=subscription).values_list(*VM_ROW_VALUES, named=True)


def virtual_machine_rows(values: Iterable) -> list[VirtualMachineRow]:
    """Turn `virtual_machine_values` into the VM list's rows."""
    return [
        VirtualMachineRow(
            pk=value.pk,
            name=value.name,
            status=value.status,
            status_label=VirtualMachine.Status(value.status).label,
            busy=VirtualMachine.status_is_busy(value.status),
            location=value.cloud_service__affinity_group__name or value.cloud_service__region__name,
            dns_name=CloudService.dns_name_of(value.cloud_service__name),
            availability_set=value.membership__availability_set__name or "",
            created_at=value.created_at,
        )
        for value in values
    ]


def cloud_services_with_set_counts(subscription: Subscription) -> QuerySet[CloudService]:
    """Return the rows of the cloud-service list with how many availability sets each holds."""
    return cloud_service_list(subscription=subscription).annotate(
        availability_set_count=count_of(AvailabilitySet.objects.all(), per="cloud_service")
    )


class MemberRow(NamedTuple):
    """A member of a set as the dashboard and the set's grid show it: plain values (portal/fragments.py)."""

    pk: int
    name: str
    status_label: str
    fault_domain: int
    update_domain: int


def member_row(membership: Membership | SetMember) -> MemberRow:
    """Return a membership, its VM loaded, as a row."""
    vm = membership.virtual_machine
    label = VirtualMachine.Status(vm.status).label
    return MemberRow(vm.pk, vm.name, label, membership.fault_domain, membership.update_domain)


@compiled_values
def _neighbour_values(availability_set_id: int, virtual_machine_id: int) -> QuerySet:
    return (
        Membership.objects.filter(availability_set_id=availability_set_id)
        .exclude(virtual_machine_id=virtual_machine_id)
        .order_by("fault_domain", "update_domain", "virtual_machine__name")
        .values_list(
            "virtual_machine_id", "virtual_machine__name", "virtual_machine__status", "fault_domain", "update_domain"
        )
    )


def virtual_machine_neighbours(vm: DashboardMachine) -> list[MemberRow]:
    """Return the other members of the VM's availability set with their slots, or none outside a set."""
    if vm.glance.availability_set_pk is None:
        return []
    return [
        MemberRow(pk, name, VirtualMachine.Status(status).label, fault_domain, update_domain)
        for pk, name, status, fault_domain, update_domain in _neighbour_values(vm.glance.availability_set_pk, vm.pk)
    ]


@compiled_values
def _activity_values(virtual_machine_id: int) -> QuerySet:
    return (
        Operation.objects.filter(virtual_machine_id=virtual_machine_id)
        .order_by("-started_at", "-pk")
        .values_list("title", "status", "started_at", "message")[:RECENT_OPERATIONS]
    )


def virtual_machine_activity(vm: DashboardMachine | VirtualMachine) -> list[OperationRow]:
    """Return the VM's most recent operations as activity rows, newest first."""
    return [operation_row(*values) for values in _activity_values(vm.pk)]


def virtual_machine_operations(vm: VirtualMachine) -> list[Operation]:
    """Return the VM's most recent operations, newest first: its activity."""
    return list(vm.operations.order_by("-started_at", "-pk")[:RECENT_OPERATIONS])


def virtual_machine_is_last_in_cloud_service(vm: VirtualMachine) -> bool:
    """Tell whether deleting this VM would leave its cloud service empty."""
    return not vm.cloud_service.virtual_machines.exclude(pk=vm.pk).exists()


def availability_set_choices(vm: VirtualMachine) -> list[AvailabilitySet]:
    """Return the sets a VM may join: those of its own cloud service."""
    return list(AvailabilitySet.objects.filter(cloud_service_id=vm.cloud_service_id).order_by("name", "pk"))


def cloud_services_for(subscription: Subscription) -> QuerySet[CloudService]:
    """Return the subscription's cloud services with their region."""
    return CloudService.objects.filter(subscription=subscription).select_related("region")


def availability_sets_of(cloud_service: CloudService) -> QuerySet[AvailabilitySet]:
    """Return a cloud service's sets with their members' slots prefetched."""
    slots = Membership.objects.only("availability_set_id", "fault_domain", "update_domain")
    return cloud_service.availability_sets.prefetch_related(Prefetch("memberships", queryset=slots))


def availability_sets_for(subscription: Subscription) -> QuerySet[AvailabilitySet]:
    """Return the subscription's availability sets with their cloud service."""
    return AvailabilitySet.objects.filter(cloud_service__subscription=subscription).select_related(
        "cloud_service__region"
    )


class SetCloudService(NamedTuple):
    name: str
    region: str


class SetPage(NamedTuple):
    """An availability set as its page shows it; the templates read it as they read an AvailabilitySet."""

    pk: int
    name: str
    fault_domain_count: int
    update_domain_count: int
    cloud_service_id: int
    cloud_service: SetCloudService


@compiled_values
def _set_values(subscription_id: int, pk: int) -> QuerySet:
    return (
        AvailabilitySet.objects.filter(cloud_service__subscription_id=subscription_id, pk=pk)
        .values_list(
            "pk",
            "name",
            "fault_domain_count",
            "update_domain_count",
            "cloud_service_id",
            "cloud_service__name",
            "cloud_service__region__name",
        )
        .order_by()
    )


def availability_set_page(subscription: Subscription, pk: int) -> SetPage | None:
    """Return one of the subscription's sets as its page shows it, or None (a compiled read, portal/sql.py)."""
    rows = _set_values(subscription.pk, pk)
    if not rows:
        return None
    pk, name, fault_domains, update_domains, service_pk, service, region = rows[0]
    return SetPage(pk, name, fault_domains, update_domains, service_pk, SetCloudService(service, region))


class MemberMachine(NamedTuple):
    pk: int
    name: str
    status: str


class SetMember(NamedTuple):
    """A membership with its VM's name and status; read as a Membership is (membership.virtual_machine.name)."""

    pk: int
    virtual_machine_id: int
    fault_domain: int
    update_domain: int
    joined_at: datetime
    virtual_machine: MemberMachine


@compiled_values
def _member_values(availability_set_id: int) -> QuerySet:
    return (
        Membership.objects.filter(availability_set_id=availability_set_id)
        .order_by("fault_domain", "update_domain", "virtual_machine__name")
        .values_list(
            "pk",
            "virtual_machine_id",
            "fault_domain",
            "update_domain",
            "joined_at",
            "virtual_machine__name",
            "virtual_machine__status",
        )
    )


def availability_set_members(availability_set: AvailabilitySet | SetPage) -> list[SetMember]:
    """Return a set's members with their VMs' names and statuses, ordered by slot."""
    return [
        SetMember(pk, vm_pk, fault_domain, update_domain, joined_at, MemberMachine(vm_pk, name, status))
        for pk, vm_pk, fault_domain, update_domain, joined_at, name, status in _member_values(availability_set.pk)
    ]


class SetHealth(NamedTuple):
    """What a set's members are worth: the service level and whether the spread is kept."""

    member_count: int
    eligible_for_sla: bool
    balanced: bool


def availability_set_health(availability_set: AvailabilitySet, memberships: Iterable[Membership]) -> SetHealth:
    """Judge a set from its memberships: two or more members earn the SLA; placement keeps the spread even."""
    slots = [Slot(membership.fault_domain, membership.update_domain) for membership in memberships]
    return SetHealth(
        member_count=len(slots),
        eligible_for_sla=len(slots) >= SLA_MINIMUM_MEMBERS,
        balanced=is_balanced(
            slots,
            fault_domain_count=availability_set.fault_domain_count,
            update_domain_count=availability_set.update_domain_count,
        ),
    )


class GridRow(NamedTuple):
    """One fault domain of a set: for each update domain, the members in that slot."""

    fault_domain: int
    cells: tuple[tuple[MemberRow, ...], ...]


def availability_set_grid(availability_set: AvailabilitySet, memberships: Iterable[Membership]) -> list[GridRow]:
    """Lay a set's members out as fault domains (rows) by update domains (columns)."""
    cells = [
        [[] for _ in range(availability_set.update_domain_count)] for _ in range(availability_set.fault_domain_count)
    ]
    for membership in memberships:
        cells[membership.fault_domain][membership.update_domain].append(member_row(membership))
    return [GridRow(fault_domain, tuple(map(tuple, row))) for fault_domain, row in enumerate(cells)]


class Outage(NamedTuple):
    """One fault domain's failure or one update domain's restart: which members it takes down, which keep running."""

    cause: str
    down: tuple[str, ...]
    running: tuple[str, ...]


def availability_set_outages(availability_set: AvailabilitySet, memberships: Iterable[Membership]) -> list[Outage]:
    """Say, for each domain that holds members, what a rack failure or a maintenance restart there leaves running."""
    memberships = sorted(memberships, key=lambda membership: membership.virtual_machine.name)
    outages = []
    for label, attribute, count in (
        ("A rack failure in fault domain", "fault_domain", availability_set.fault_domain_count),
        ("Planned maintenance of update domain", "update_domain", availability_set.update_domain_count),
    ):
        for domain in range(count):
            down = tuple(m.virtual_machine.name for m in memberships if getattr(m, attribute) == domain)
            if down:
                running = tuple(m.virtual_machine.name for m in memberships if getattr(m, attribute) != domain)
                outages.append(Outage(cause=f"{label} {domain}", down=down, running=running))
    return outages


@dataclass(frozen=True)
class PlannedMove:
    """One step of a rebalance: a member and the slot it leaves for another."""

    virtual_machine: VirtualMachine
    source: Slot
    target: Slot


def availability_set_rebalance_moves(
    availability_set: AvailabilitySet | SetPage, memberships: Iterable[Membership | SetMember]
) -> list[PlannedMove]:
    """Plan the fewest moves that bring a set back into balance; the members that joined last are the ones moved."""
    memberships = sorted(memberships, key=lambda membership: (membership.joined_at, membership.pk))
    by_vm = {membership.virtual_machine_id: membership.virtual_machine for membership in memberships}
    moves = _rebalance_plan(
        tuple((m.virtual_machine_id, Slot(m.fault_domain, m.update_domain)) for m in memberships),
        availability_set.fault_domain_count,
        availability_set.update_domain_count,
    )
    return [PlannedMove(by_vm[move.member], move.source, move.target) for move in moves]


@lru_cache(maxsize=1024)
def _rebalance_plan(members: tuple, fault_domain_count: int, update_domain_count: int) -> tuple[Move, ...]:
    """Remember the plan for a set's slots: it is a pure function of them, and every view of the set page plans."""
    return tuple(
        rebalance_plan(members, fault_domain_count=fault_domain_count, update_domain_count=update_domain_count)
    )


def rebalance_plan_key(moves: Iterable[PlannedMove]) -> str:
    """Spell a plan out as text, so that a confirmation can tell whether the plan it saw is still the plan."""
    return ",".join(
        f"{move.virtual_machine.pk}:{move.source.fault_domain}/{move.source.update_domain}"
        f">{move.target.fault_domain}/{move.target.update_domain}"
        for move in moves
    )


def fault_domain_racks(availability_set_id: int) -> dict[int, int]:
    """Return the racks a set's fault domains are bound to: {fault domain: rack id}."""
    return dict(
        FaultDomainRack.objects.filter(availability_set_id=availability_set_id).values_list("fault_domain", "rack_id")
    )


def set_members_per_host(availability_set_id: int) -> dict[int, dict[int, int]]:
    """Return how many of a set's members run on each host, per update domain: {host id: {update domain: count}}."""
    rows = (
        Membership.objects.filter(availability_set_id=availability_set_id, virtual_machine__placement__isnull=False)
        .values_list("virtual_machine__placement__host_id", "update_domain")
        .annotate(count=Count("pk"))
        .order_by()
    )
    members: dict[int, dict[int, int]] = {}
    for host_id, update_domain, count in rows:
        members.setdefault(host_id, {})[update_domain] = count
    return members


class SharedRack(NamedTuple):
    """Fault domains of a set bound to one rack: a failure of that rack takes them all down."""

    fault_domains: list[int]
    rack: str
    region: str

    @property
    def sentence(self) -> str:
        listed = join_and(str(number) for number in self.fault_domains)
        together = "both" if len(self.fault_domains) == 2 else f"all {len(self.fault_domains)}"
        return (
            f"Fault domains {listed} share rack {self.rack} of {self.region}: "
            f"a failure of that rack takes {together} down."
        )


def availability_set_shared_racks(availability_set: AvailabilitySet | SetPage) -> list[SharedRack]:
    """Say which of a set's fault domains share a rack (fabric.placement.shared_racks over its bindings)."""
    bindings = {}
    racks = {}
    for fault_domain, rack_id, rack, region in FaultDomainRack.objects.filter(
        availability_set_id=availability_set.pk
    ).values_list("fault_domain", "rack_id", "rack__name", "rack__region__name"):
        bindings[fault_domain] = rack_id
        racks[rack_id] = (rack, region)
    return [SharedRack(fault_domains, *racks[rack_id]) for rack_id, fault_domains in shared_racks(bindings)]
