"""Reads for the list pages' set columns, a VM's dashboard and Configure tab, and the availability-set pages."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from availability.models import AvailabilitySet, Membership
from availability.placement import Slot, is_balanced, rebalance_plan
from portal.models import Subscription
from vms.models import CloudService, Operation, VirtualMachine
from vms.selectors import VM_LIST_FIELDS, cloud_service_list, count_of, vm_list

RECENT_OPERATIONS = 10
SLA_MINIMUM_MEMBERS = 2


def virtual_machines_for(subscription: Subscription) -> QuerySet[VirtualMachine]:
    """Return the subscription's VMs joined with everything their dashboard shows."""
    return VirtualMachine.objects.filter(cloud_service__subscription=subscription).select_related(
        "cloud_service__region",
        "cloud_service__affinity_group",
        "cloud_service__virtual_network",
        "size",
        "storage_account",
        "image_version__image",
        "subnet",
        "membership__availability_set",
    )


def virtual_machines_with_sets(subscription: Subscription) -> QuerySet[VirtualMachine]:
    """Return the rows of the VM list with each VM's availability set joined."""
    return (
        vm_list(subscription=subscription)
        .select_related("membership__availability_set")
        .only(*VM_LIST_FIELDS, "membership__availability_set__name")
    )


def cloud_services_with_set_counts(subscription: Subscription) -> QuerySet[CloudService]:
    """Return the rows of the cloud-service list with how many availability sets each holds."""
    return cloud_service_list(subscription=subscription).annotate(
        availability_set_count=count_of(AvailabilitySet.objects.all(), per="cloud_service")
    )


def virtual_machine_neighbours(vm: VirtualMachine) -> QuerySet[Membership]:
    """Return the other members of the VM's availability set with their slots, or none outside a set."""
    membership = getattr(vm, "membership", None)
    if membership is None:
        return Membership.objects.none()
    return (
        Membership.objects.filter(availability_set_id=membership.availability_set_id)
        .exclude(virtual_machine=vm)
        .select_related("virtual_machine")
        .order_by("fault_domain", "update_domain", "virtual_machine__name")
    )


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


def availability_set_members(availability_set: AvailabilitySet) -> list[Membership]:
    """Return a set's memberships with their VMs and sizes, ordered by slot."""
    return list(
        availability_set.memberships.select_related("virtual_machine__size").order_by(
            "fault_domain", "update_domain", "virtual_machine__name"
        )
    )


@dataclass(frozen=True)
class SetHealth:
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


@dataclass(frozen=True)
class GridRow:
    """One fault domain of a set: for each update domain, the VMs in that slot."""

    fault_domain: int
    cells: list[list[VirtualMachine]]


def availability_set_grid(availability_set: AvailabilitySet, memberships: Iterable[Membership]) -> list[GridRow]:
    """Lay a set's members out as fault domains (rows) by update domains (columns)."""
    rows = [
        GridRow(fault_domain, [[] for _ in range(availability_set.update_domain_count)])
        for fault_domain in range(availability_set.fault_domain_count)
    ]
    for membership in memberships:
        rows[membership.fault_domain].cells[membership.update_domain].append(membership.virtual_machine)
    return rows


@dataclass(frozen=True)
class Outage:
    """One fault domain's failure or one update domain's restart: which members it takes down, which keep running."""

    cause: str
    down: list[VirtualMachine]
    running: list[VirtualMachine]


def availability_set_outages(availability_set: AvailabilitySet, memberships: Iterable[Membership]) -> list[Outage]:
    """Say, for each domain that holds members, what a rack failure or a maintenance restart there leaves running."""
    memberships = sorted(memberships, key=lambda membership: membership.virtual_machine.name)
    outages = []
    for label, attribute, count in (
        ("A rack failure in fault domain", "fault_domain", availability_set.fault_domain_count),
        ("Planned maintenance of update domain", "update_domain", availability_set.update_domain_count),
    ):
        for domain in range(count):
            down = [m.virtual_machine for m in memberships if getattr(m, attribute) == domain]
            if down:
                running = [m.virtual_machine for m in memberships if getattr(m, attribute) != domain]
                outages.append(Outage(cause=f"{label} {domain}", down=down, running=running))
    return outages


@dataclass(frozen=True)
class PlannedMove:
    """One step of a rebalance: a member and the slot it leaves for another."""

    virtual_machine: VirtualMachine
    source: Slot
    target: Slot


def availability_set_rebalance_moves(
    availability_set: AvailabilitySet, memberships: Iterable[Membership]
) -> list[PlannedMove]:
    """Plan the fewest moves that bring a set back into balance; the members that joined last are the ones moved."""
    memberships = sorted(memberships, key=lambda membership: (membership.joined_at, membership.pk))
    by_vm = {membership.virtual_machine_id: membership.virtual_machine for membership in memberships}
    moves = rebalance_plan(
        [(m.virtual_machine_id, Slot(m.fault_domain, m.update_domain)) for m in memberships],
        fault_domain_count=availability_set.fault_domain_count,
        update_domain_count=availability_set.update_domain_count,
    )
    return [PlannedMove(by_vm[move.member], move.source, move.target) for move in moves]


def rebalance_plan_key(moves: Iterable[PlannedMove]) -> str:
    """Spell a plan out as text, so that a confirmation can tell whether the plan it saw is still the plan."""
    return ",".join(
        f"{move.virtual_machine.pk}:{move.source.fault_domain}/{move.source.update_domain}"
        f">{move.target.fault_domain}/{move.target.update_domain}"
        for move in moves
    )
