"""Reads for placement and the Hosts page: the region's racks and hosts with what their virtual machines use."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple

from django.db.models import F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from fabric import placement
from fabric.models import Host, Placement, Rack
from vms.models import Region


def hosts_with_usage() -> QuerySet[Host]:
    """Return hosts annotated with the cores and memory their placed virtual machines use, in one aggregate query.

    A VM's placement goes with its row, so only virtual machines that still exist count.
    """
    return Host.objects.annotate(
        used_cores=Coalesce(Sum("placements__virtual_machine__size__cores"), Value(0)),
        used_memory_mb=Coalesce(Sum("placements__virtual_machine__size__memory_mb"), Value(0)),
    )


def region_racks(region: Region) -> list[placement.Rack]:
    """Return the region's racks as placement sees them."""
    rows = Rack.objects.filter(region=region).order_by().values_list("pk", "name")
    return [placement.Rack(id=pk, name=name) for pk, name in rows]


class RegionHosts(NamedTuple):
    """A region's hosts as placement sees them, and each host's guest network (for the address of a VM placed)."""

    states: list[placement.HostState]
    subnets: dict[int, str]


def region_host_states(region: Region, *, set_members: Mapping[int, Mapping[int, int]] | None = None) -> RegionHosts:
    """Return the region's hosts as placement sees them: capacity, use, and the set's members on each (one query).

    `set_members` maps a host id to {update domain: members of the set being placed} (availability reads it).
    """
    set_members = set_members or {}
    rows = list(
        hosts_with_usage()
        .filter(rack__region=region)
        .order_by("pk")
        .values_list("pk", "rack_id", "name", "state", "cores", "memory_mb", "used_cores", "used_memory_mb", "subnet")
    )
    states = [
        placement.HostState(
            id=pk,
            rack_id=rack_id,
            name=name,
            state=state,
            cores=cores,
            memory_mb=memory_mb,
            used_cores=used_cores,
            used_memory_mb=used_memory_mb,
            set_members=set_members.get(pk, {}),
        )
        for pk, rack_id, name, state, cores, memory_mb, used_cores, used_memory_mb, _subnet in rows
    ]
    return RegionHosts(states, {row[0]: row[-1] for row in rows})


def host_state(host_id: int) -> tuple[placement.HostState, placement.Rack, str]:
    """Return one host as placement sees it, with its rack and its region's name (one query)."""
    row = (
        hosts_with_usage()
        .filter(pk=host_id)
        .values_list(
            "pk",
            "rack_id",
            "name",
            "state",
            "cores",
            "memory_mb",
            "used_cores",
            "used_memory_mb",
            "rack__name",
            "rack__region__name",
        )
        .get()
    )
    pk, rack_id, name, state, cores, memory_mb, used_cores, used_memory_mb, rack_name, region = row
    host = placement.HostState(pk, rack_id, name, state, cores, memory_mb, used_cores, used_memory_mb)
    return host, placement.Rack(rack_id, rack_name), region


def placement_of(virtual_machine_id: int) -> Placement | None:
    """Return a VM's placement with its host and rack, or None for a VM that has none."""
    return Placement.objects.select_related("host__rack").filter(virtual_machine_id=virtual_machine_id).first()


class HostMachine(NamedTuple):
    pk: int
    name: str


class HostRow(NamedTuple):
    """A host as the Hosts page shows it."""

    pk: int
    name: str
    state: str
    state_label: str
    uri: str
    cores: int
    memory_mb: int
    used_cores: int
    used_memory_mb: int
    last_seen: datetime | None
    machines: list[HostMachine]

    @property
    def cores_percent(self) -> int:
        return min(100, self.used_cores * 100 // self.cores) if self.cores else 0

    @property
    def memory_percent(self) -> int:
        return min(100, self.used_memory_mb * 100 // self.memory_mb) if self.memory_mb else 0


class RackRow(NamedTuple):
    pk: int
    name: str
    region: str
    hosts: list[HostRow]


def racks_with_hosts() -> list[RackRow]:
    """Return every rack of every region with its hosts, their load and their VMs, in three queries."""
    rows = Rack.objects.order_by("region__display_order", "region__name", "name", "pk")
    racks = {pk: RackRow(pk, name, region, []) for pk, name, region in rows.values_list("pk", "name", "region__name")}
    machines: dict[int, list[HostMachine]] = {}
    for host_id, vm_pk, vm_name in (
        Placement.objects.order_by("virtual_machine__name", "virtual_machine_id")
        .values_list("host_id", "virtual_machine_id", F("virtual_machine__name"))
        .iterator()
    ):
        machines.setdefault(host_id, []).append(HostMachine(vm_pk, vm_name))
    hosts = (
        hosts_with_usage()
        .order_by("name", "pk")
        .values_list(
            "pk", "rack_id", "name", "state", "uri", "cores", "memory_mb", "used_cores", "used_memory_mb", "last_seen"
        )
    )
    for pk, rack_id, name, state, uri, cores, memory_mb, used_cores, used_memory_mb, last_seen in hosts:
        racks[rack_id].hosts.append(
            HostRow(
                pk,
                name,
                state,
                Host.State(state).label,
                uri,
                cores,
                memory_mb,
                used_cores,
                used_memory_mb,
                last_seen,
                machines.get(pk, []),
            )
        )
    return list(racks.values())
