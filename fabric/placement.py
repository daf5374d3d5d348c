"""Which physical host a VM goes to: a set's fault domains on different racks, its update domains on different hosts.

A set's fault domain is bound to a rack the first time a member lands in it; later members of that fault domain go
to the same rack. Within the rack a VM goes to an Available host with room for its size, preferring the host that
holds members of the fewest other update domains of the set, so that one host going down takes as few update
domains of the set with it as possible.

Plain values in and out (no ORM, no Django): a selector turns the region's racks and hosts into `Rack` and
`HostState` values in a constant number of queries, a service writes the outcome. One placement reads every host
once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class HostStatus(StrEnum):
    AVAILABLE = "available"
    MAINTENANCE = "maintenance"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True, slots=True)
class Rack:
    """A rack of the region: one fault domain of the hardware, with its own power and network switch."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class HostState:
    """A host as placement sees it: its capacity, what its VMs use, and the members of the set being placed on it.

    `set_members` maps an update domain of the set being placed to how many of the set's members in that update
    domain run on this host (empty for a VM in no set).
    """

    id: int
    rack_id: int
    name: str
    state: str
    cores: int
    memory_mb: int
    used_cores: int
    used_memory_mb: int
    set_members: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Size:
    name: str
    cores: int
    memory_mb: int


@dataclass(frozen=True, slots=True)
class HostChoice:
    """Where the VM goes; `new_binding` is (fault domain, rack id) when this placement binds the fault domain."""

    host_id: int
    rack_id: int
    new_binding: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class NoRoom:
    """Why the VM cannot be placed, in words for the person who asked."""

    message: str


def choose_host(
    *,
    hosts: Iterable[HostState],
    racks: Iterable[Rack],
    region: str,
    size: Size,
    slot: tuple[int, int] | None = None,
    bindings: Mapping[int, int] | None = None,
) -> HostChoice | NoRoom:
    """Choose the host for a VM of `size` in the region, or say why there is no room.

    `slot` is the (fault domain, update domain) the set gives the VM (availability.placement.next_slot), None for a
    VM in no set; `bindings` maps the set's fault domains to the racks they are bound to.

    - A bound fault domain keeps its rack.
    - An unbound one is bound to a rack with room, preferring a rack bound to no other fault domain of the set
      (then the rack bound to the fewest), then the most free cores and memory on its Available hosts, then the
      rack's name, then its id.
    - A VM in no set may go to any rack.
    Among the hosts with room in the rack (in the region, for a VM in no set) the VM goes to the host holding
    members of the fewest other update domains of the set, then the fewest members of the set, then the lowest
    share of cores in use, then of memory in use, then the lowest id.
    """
    racks_by_id = {rack.id: rack for rack in racks}
    bindings = dict(bindings or {})
    for fault_domain, rack_id in bindings.items():
        if rack_id not in racks_by_id:
            raise ValueError(f"Fault domain {fault_domain} is bound to rack {rack_id}, which is not in {region}.")
    fault_domain, update_domain = slot if slot is not None else (None, None)
    bound_rack = bindings.get(fault_domain) if slot is not None else None

    best_per_rack: dict[int, tuple[tuple, HostState]] = {}
    free_per_rack: dict[int, list[int]] = {rack_id: [0, 0] for rack_id in racks_by_id}
    cores_enough = False  # some Available host in scope has the cores, so memory is what is short
    for host in hosts:
        if host.rack_id not in racks_by_id:
            raise ValueError(f"Host {host.name} is in rack {host.rack_id}, which is not in {region}.")
        if host.state != HostStatus.AVAILABLE or (bound_rack is not None and host.rack_id != bound_rack):
            continue
        free_cores = host.cores - host.used_cores
        free_memory = host.memory_mb - host.used_memory_mb
        rack_free = free_per_rack[host.rack_id]
        rack_free[0] += max(free_cores, 0)
        rack_free[1] += max(free_memory, 0)
        if free_cores < size.cores:
            continue
        cores_enough = True
        if free_memory < size.memory_mb:
            continue
        key = _host_key(host, update_domain)
        best = best_per_rack.get(host.rack_id)
        if best is None or key < best[0]:
            best_per_rack[host.rack_id] = (key, host)

    if not best_per_rack:
        return NoRoom(_no_room_message(size, region, racks_by_id.get(bound_rack), cores_enough=cores_enough))
    if slot is None:
        _, host = min(best_per_rack.values(), key=lambda best: best[0])
        return HostChoice(host_id=host.id, rack_id=host.rack_id)
    if bound_rack is not None:
        _, host = best_per_rack[bound_rack]
        return HostChoice(host_id=host.id, rack_id=host.rack_id)
    fault_domains_on = Counter(bindings.values())
    rack_id = min(
        best_per_rack,
        key=lambda rack_id: (
            fault_domains_on[rack_id],
            -free_per_rack[rack_id][0],
            -free_per_rack[rack_id][1],
            racks_by_id[rack_id].name,
            rack_id,
        ),
    )
    _, host = best_per_rack[rack_id]
    return HostChoice(host_id=host.id, rack_id=rack_id, new_binding=(fault_domain, rack_id))


def _host_key(host: HostState, update_domain: int | None) -> tuple:
    other_update_domains = sum(1 for domain, count in host.set_members.items() if count > 0 and domain != update_domain)
    # Shares as floats: a division is correctly rounded, so equal shares compare equal and unequal ones of hosts
    # this size (denominators far below 2**26) never round together.
    return (
        other_update_domains,
        sum(host.set_members.values()),
        host.used_cores / host.cores,
        host.used_memory_mb / host.memory_mb if host.memory_mb else 0.0,
        host.id,
    )


def shared_racks(bindings: Mapping[int, int]) -> list[tuple[int, list[int]]]:
    """List the racks bound to more than one fault domain of a set, each with its fault domains, lowest first."""
    by_rack: dict[int, list[int]] = {}
    for fault_domain in sorted(bindings):
        by_rack.setdefault(bindings[fault_domain], []).append(fault_domain)
    return [(rack_id, fault_domains) for rack_id, fault_domains in by_rack.items() if len(fault_domains) > 1]


def resize_fits(host: HostState, *, rack: Rack, region: str, old_size: Size, new_size: Size) -> NoRoom | None:
    """Tell whether a VM of `old_size` on the host can grow to `new_size` there: None when it can, else why not.

    The VM's own cores and memory count as free for it. A size that asks no more cores or memory than the VM has
    always fits in that respect.
    """
    cores_for_it = host.cores - host.used_cores + old_size.cores
    memory_for_it = host.memory_mb - host.used_memory_mb + old_size.memory_mb
    where = f"Host {host.name} in rack {rack.name} of {region}"
    needs = f"{_article(new_size.name)} {new_size.name} virtual machine needs"
    if new_size.cores > old_size.cores and cores_for_it < new_size.cores:
        return NoRoom(f"{where} has {_cores(max(cores_for_it, 0))} for this virtual machine; {needs} {new_size.cores}")
    if new_size.memory_mb > old_size.memory_mb and memory_for_it < new_size.memory_mb:
        return NoRoom(
            f"{where} has {_memory(max(memory_for_it, 0))} of free memory for this virtual machine; "
            f"{needs} {_memory(new_size.memory_mb)}"
        )
    return None


def _no_room_message(size: Size, region: str, bound_rack: Rack | None, *, cores_enough: bool) -> str:
    short = f"{_memory(size.memory_mb)} of free memory" if cores_enough else _cores(size.cores)
    for_whom = f"for {_article(size.name)} {size.name} virtual machine"
    if bound_rack is not None:
        return f"No host in rack {bound_rack.name} of {region} has {short} {for_whom}"
    return f"No rack in {region} has a host with {short} {for_whom}"


def _cores(count: int) -> str:
    return f"{count} free core" if count == 1 else f"{count} free cores"


def _memory(memory_mb: int) -> str:
    """Say an amount of memory as the catalog does (768 MB, 1.75 GB, 7 GB), rounded down to a hundredth of a GB."""
    return f"{memory_mb} MB" if memory_mb < 1024 else f"{memory_mb * 100 // 1024 / 100:g} GB"


def _article(word: str) -> str:
    return "an" if word[:1].upper() in "AEIOU" else "a"
