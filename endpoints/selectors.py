"""Reads for the Endpoints tab, the cloud service page and the applications built on load-balanced sets."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Prefetch, QuerySet

from endpoints.models import Endpoint, LoadBalancedSet, RotationChange
from endpoints.probes import ROTATION_HISTORY
from endpoints.rotation import Segment, awaits_first_probe, set_is_up, timeline, window_fraction
from portal.models import Subscription
from vms.models import CloudService, VirtualMachine


@dataclass(frozen=True)
class MemberRotation:
    """One member of a load-balanced set as the load balancer sees it now."""

    endpoint_id: int
    endpoint_name: str
    virtual_machine_id: int
    virtual_machine_name: str
    virtual_machine_status: str
    in_rotation: bool
    probe_failures: int


@dataclass(frozen=True)
class LoadBalancedSetRotation:
    """A load-balanced set with every member and whether each is in rotation; `is_up` while one is."""

    id: int
    name: str
    cloud_service_id: int
    protocol: str
    public_port: int
    private_port: int
    probe: str
    members: tuple[MemberRotation, ...]

    @property
    def in_rotation_count(self) -> int:
        return sum(member.in_rotation for member in self.members)

    @property
    def is_up(self) -> bool:
        return set_is_up(member.in_rotation for member in self.members)


def _members_prefetch() -> Prefetch:
    return Prefetch(
        "members",
        queryset=Endpoint.objects.select_related("virtual_machine").order_by("virtual_machine__name", "pk"),
    )


def _rotation(lb_set: LoadBalancedSet) -> LoadBalancedSetRotation:
    return LoadBalancedSetRotation(
        id=lb_set.pk,
        name=lb_set.name,
        cloud_service_id=lb_set.cloud_service_id,
        protocol=lb_set.protocol,
        public_port=lb_set.public_port,
        private_port=lb_set.private_port,
        probe=lb_set.probe_display,
        members=tuple(
            MemberRotation(
                endpoint_id=member.pk,
                endpoint_name=member.name,
                virtual_machine_id=member.virtual_machine_id,
                virtual_machine_name=member.virtual_machine.name,
                virtual_machine_status=member.virtual_machine.status,
                in_rotation=member.in_rotation,
                probe_failures=member.probe_failures,
            )
            for member in lb_set.members.all()
        ),
    )


def load_balanced_sets_for_vms(vm_ids: Iterable[int]) -> list[LoadBalancedSetRotation]:
    """Return every load-balanced set with a member among these VMs, with all its members and their rotation.

    Two queries whatever the number of sets and members; sets come ordered by cloud service, then name.
    """
    sets = (
        LoadBalancedSet.objects.filter(
            pk__in=Endpoint.objects.filter(virtual_machine_id__in=list(vm_ids)).values("load_balanced_set_id")
        )
        .prefetch_related(_members_prefetch())
        .order_by("cloud_service_id", "name", "pk")
    )
    return [_rotation(lb_set) for lb_set in sets]


def virtual_machine_endpoints(vm: VirtualMachine) -> list[Endpoint]:
    """Return a VM's endpoints with their sets, for its Endpoints tab."""
    return list(vm.endpoints.select_related("load_balanced_set").order_by("name", "pk"))


def virtual_machines_for(subscription: Subscription) -> QuerySet[VirtualMachine]:
    """Return the subscription's VMs with their cloud service."""
    return VirtualMachine.objects.filter(cloud_service__subscription=subscription).select_related("cloud_service")


def endpoints_for(subscription: Subscription) -> QuerySet[Endpoint]:
    """Return the subscription's endpoints with their VM and set."""
    return Endpoint.objects.filter(cloud_service__subscription=subscription).select_related(
        "virtual_machine", "load_balanced_set"
    )


def load_balanced_set_choices(vm: VirtualMachine) -> list[LoadBalancedSet]:
    """Return the sets a VM may join: those of its own cloud service it is not in yet."""
    return list(
        LoadBalancedSet.objects.filter(cloud_service_id=vm.cloud_service_id)
        .exclude(members__virtual_machine=vm)
        .order_by("name", "pk")
    )


def cloud_services_for(subscription: Subscription) -> QuerySet[CloudService]:
    """Return the subscription's cloud services with their region and network."""
    return CloudService.objects.filter(subscription=subscription).select_related(
        "region", "affinity_group", "virtual_network"
    )


@dataclass(frozen=True)
class TimelineBar:
    """A drawn stretch of a member's timeline, as percentages of the window's width."""

    x: float
    width: float
    in_rotation: bool
    start: datetime
    end: datetime


@dataclass(frozen=True)
class MemberTimeline:
    member: Endpoint
    bars: list[TimelineBar]
    awaits_first_probe: bool


@dataclass(frozen=True)
class LoadBalancedSetRow:
    """A set on the cloud service page: its members, how many are in rotation and its last hour."""

    load_balanced_set: LoadBalancedSet
    members: list[Endpoint]
    in_rotation_count: int
    is_up: bool
    timelines: list[MemberTimeline]


def _bars(segments: list[Segment], window_start: datetime) -> list[TimelineBar]:
    bars = []
    for segment in segments:
        x = window_fraction(segment.start, window_start=window_start, window=ROTATION_HISTORY)
        end = window_fraction(segment.end, window_start=window_start, window=ROTATION_HISTORY)
        bars.append(
            TimelineBar(
                x=round(x * 100, 3),
                width=round(max(end - x, 0) * 100, 3),
                in_rotation=segment.in_rotation,
                start=segment.start,
                end=segment.end,
            )
        )
    return bars


def cloud_service_load_balanced_sets(cloud_service: CloudService, *, now: datetime) -> list[LoadBalancedSetRow]:
    """Return a cloud service's sets with members, rotation and each member's timeline over the last hour."""
    window_start = now - ROTATION_HISTORY
    sets = LoadBalancedSet.objects.filter(cloud_service=cloud_service).prefetch_related(
        _members_prefetch(),
        Prefetch(
            "rotation_changes",
            queryset=RotationChange.objects.filter(at__gte=window_start).order_by("at", "pk"),
        ),
    )
    rows = []
    for lb_set in sets:
        members = list(lb_set.members.all())
        changes: dict[int, list[tuple[datetime, bool]]] = {}
        for change in lb_set.rotation_changes.all():
            changes.setdefault(change.endpoint_id, []).append((change.at, change.in_rotation))
        timelines = [
            MemberTimeline(
                member=member,
                bars=_bars(
                    timeline(
                        window_start=window_start,
                        now=now,
                        joined_at=member.created_at,
                        changes=changes.get(member.pk, []),
                        in_rotation_now=member.in_rotation,
                    ),
                    window_start,
                ),
                awaits_first_probe=awaits_first_probe(member.probe_failures, member.in_rotation),
            )
            for member in members
        ]
        in_rotation = [member.in_rotation for member in members]
        rows.append(
            LoadBalancedSetRow(
                load_balanced_set=lb_set,
                members=members,
                in_rotation_count=sum(in_rotation),
                is_up=set_is_up(in_rotation),
                timelines=timelines,
            )
        )
    return rows


def cloud_service_endpoints(cloud_service: CloudService) -> list[Endpoint]:
    """Return every endpoint of a cloud service's VMs, by VM then name."""
    return list(
        Endpoint.objects.filter(cloud_service=cloud_service)
        .select_related("virtual_machine", "load_balanced_set")
        .order_by("virtual_machine__name", "name", "pk")
    )


def cloud_service_virtual_machines(cloud_service: CloudService) -> list[VirtualMachine]:
    """Return a cloud service's VMs with how many endpoints each has."""
    return list(
        cloud_service.virtual_machines.annotate(endpoint_count=Count("endpoints"))
        .select_related("size")
        .order_by("name", "pk")
    )


def endpoints_in_use(*, subscriptions: Iterable[Subscription]) -> dict[int, int]:
    """Count the input endpoints of each subscription, by the subscription's pk, in one query."""
    counts = (
        Endpoint.objects.filter(cloud_service__subscription__in=list(subscriptions))
        .values("cloud_service__subscription")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return {row["cloud_service__subscription"]: row["count"] for row in counts}
