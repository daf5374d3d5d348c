"""Placement onto racks and hosts, against brute force: every small topology, and random larger ones."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from fractions import Fraction
from itertools import product
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from availability.placement import Slot, next_slot
from fabric.placement import (
    HostChoice,
    HostState,
    HostStatus,
    NoRoom,
    Rack,
    Size,
    choose_host,
    resize_fits,
    shared_racks,
)

REGION = "West US"
EXTRA_SMALL = Size("ExtraSmall", 1, 768)
SMALL = Size("Small", 1, 1792)
MEDIUM = Size("Medium", 2, 3584)
LARGE = Size("Large", 4, 7168)
A6 = Size("A6", 4, 28672)
AVAILABLE, MAINTENANCE, UNREACHABLE = HostStatus.AVAILABLE, HostStatus.MAINTENANCE, HostStatus.UNREACHABLE


def host(
    id: int,
    rack_id: int,
    *,
    state: str = AVAILABLE,
    cores: int = 8,
    memory_mb: int = 14336,
    used_cores: int = 0,
    used_memory_mb: int = 0,
    set_members: dict[int, int] | None = None,
) -> HostState:
    return HostState(
        id=id,
        rack_id=rack_id,
        name=f"h{id}",
        state=state,
        cores=cores,
        memory_mb=memory_mb,
        used_cores=used_cores,
        used_memory_mb=used_memory_mb,
        set_members=set_members or {},
    )


# The rules read literally


def fits(candidate: HostState, size: Size) -> bool:
    return (
        candidate.state == AVAILABLE
        and candidate.used_cores + size.cores <= candidate.cores
        and candidate.used_memory_mb + size.memory_mb <= candidate.memory_mb
    )


def host_preference(candidate: HostState, update_domain: int | None) -> tuple:
    """Fewest other update domains of the set on the host, fewest members, least loaded (cores, memory), lowest id."""
    other_update_domains = {domain for domain, n in candidate.set_members.items() if n and domain != update_domain}
    return (
        len(other_update_domains),
        sum(candidate.set_members.values()),
        Fraction(candidate.used_cores, candidate.cores),
        Fraction(candidate.used_memory_mb, candidate.memory_mb),
        candidate.id,
    )


def rack_free(hosts: list[HostState], rack_id: int) -> tuple[int, int]:
    on_rack = [h for h in hosts if h.rack_id == rack_id and h.state == AVAILABLE]
    return (
        sum(max(h.cores - h.used_cores, 0) for h in on_rack),
        sum(max(h.memory_mb - h.used_memory_mb, 0) for h in on_rack),
    )


def in_scope(hosts, slot, bindings) -> list[HostState]:
    """The hosts a VM may go to: the bound rack's, or every host of the region."""
    bound = bindings.get(slot[0]) if slot is not None else None
    return [h for h in hosts if bound is None or h.rack_id == bound]


def choice_by_brute_force(hosts, racks, size, slot, bindings) -> HostChoice | None:
    """Every host with room in scope, ordered by the stated preference: the rack's, then the host's."""
    names = {rack.id: rack.name for rack in racks}
    update_domain = slot[1] if slot is not None else None
    candidates = [h for h in in_scope(hosts, slot, bindings) if fits(h, size)]
    if not candidates:
        return None
    if slot is None or slot[0] in bindings:
        best = min(candidates, key=lambda h: host_preference(h, update_domain))
        return HostChoice(best.id, best.rack_id, None)

    def preference(h: HostState) -> tuple:
        cores, memory = rack_free(hosts, h.rack_id)
        other_fault_domains = sum(1 for rack_id in bindings.values() if rack_id == h.rack_id)
        return (other_fault_domains, -cores, -memory, names[h.rack_id], h.rack_id, *host_preference(h, update_domain))

    best = min(candidates, key=preference)
    return HostChoice(best.id, best.rack_id, (slot[0], best.rack_id))


def message_by_brute_force(hosts, racks, size, slot, bindings) -> str:
    bound = bindings.get(slot[0]) if slot is not None else None
    with_cores = [
        h for h in in_scope(hosts, slot, bindings) if h.state == AVAILABLE and h.cores - h.used_cores >= size.cores
    ]
    article = "an" if size.name[0] in "AEIOU" else "a"
    memory_gb = Fraction(size.memory_mb, 1024)
    memory = f"{size.memory_mb} MB" if memory_gb < 1 else f"{float(memory_gb):g} GB"
    short = f"{memory} of free memory" if with_cores else f"{size.cores} free core{'s' if size.cores > 1 else ''}"
    if bound is None:
        return f"No rack in {REGION} has a host with {short} for {article} {size.name} virtual machine"
    name = next(rack.name for rack in racks if rack.id == bound)
    return f"No host in rack {name} of {REGION} has {short} for {article} {size.name} virtual machine"


def check(hosts, racks, size, slot, bindings) -> HostChoice | NoRoom:
    """Compare with brute force and assert the invariants directly."""
    result = choose_host(hosts=hosts, racks=racks, region=REGION, size=size, slot=slot, bindings=bindings)
    expected = choice_by_brute_force(hosts, racks, size, slot, bindings)
    scope = in_scope(hosts, slot, bindings)
    if expected is None:
        assert result == NoRoom(message_by_brute_force(hosts, racks, size, slot, bindings))
        assert not any(fits(h, size) for h in scope)
        return result
    assert result == expected, (hosts, racks, slot, bindings)
    chosen = next(h for h in hosts if h.id == result.host_id)
    assert chosen.rack_id == result.rack_id
    assert chosen.state == AVAILABLE
    assert chosen.used_cores + size.cores <= chosen.cores
    assert chosen.used_memory_mb + size.memory_mb <= chosen.memory_mb
    if slot is None:
        assert result.new_binding is None
    elif slot[0] in bindings:
        assert result.rack_id == bindings[slot[0]]
        assert result.new_binding is None
    else:
        assert result.new_binding == (slot[0], result.rack_id)
        bound = set(bindings.values())
        if any(fits(h, size) and h.rack_id not in bound for h in hosts):
            assert result.rack_id not in bound
    update_domain = slot[1] if slot is not None else None
    rivals = [h for h in scope if h.rack_id == result.rack_id and fits(h, size)]
    assert host_preference(chosen, update_domain)[:2] == min(host_preference(h, update_domain)[:2] for h in rivals)
    return result


# Every small topology

# Kinds of host, as (state, cores, memory_mb, used_cores, used_memory_mb), against a Large VM (4 cores, 7 GB).
CAPACITY_KINDS = {
    "empty": (AVAILABLE, 8, 14336, 0, 0),
    "half used": (AVAILABLE, 8, 14336, 4, 7168),
    "half the cores used": (AVAILABLE, 8, 14336, 4, 0),
    "big, half used": (AVAILABLE, 16, 28672, 8, 14336),
    "short of cores": (AVAILABLE, 8, 14336, 5, 0),
    "short of memory": (AVAILABLE, 8, 14336, 0, 8192),
    "in maintenance": (MAINTENANCE, 8, 14336, 0, 0),
    "unreachable": (UNREACHABLE, 8, 14336, 0, 0),
}


def build(rack_id: int, host_id: int, kind: str, set_members: dict[int, int] | None = None) -> HostState:
    state, cores, memory_mb, used_cores, used_memory_mb = CAPACITY_KINDS[kind]
    return host(
        host_id,
        rack_id,
        state=state,
        cores=cores,
        memory_mb=memory_mb,
        used_cores=used_cores,
        used_memory_mb=used_memory_mb,
        set_members=set_members,
    )


# Rack names run the other way from their ids, so name order and id order differ.
RACKS = [Rack(30, "r1"), Rack(20, "r2"), Rack(10, "r3")]


def rack_shapes(most_hosts: int):
    """Every way to spread 1..most_hosts hosts over 1-3 racks, each rack holding 1-3: a tuple of hosts per rack."""
    for hosts in range(1, most_hosts + 1):
        for rack_count in range(1, 4):
            for shape in product(range(1, 4), repeat=rack_count):
                if sum(shape) == hosts:
                    yield shape


def test_every_small_topology_for_a_vm_in_no_set():
    cases = 0
    for shape in rack_shapes(4):
        racks = RACKS[: len(shape)]
        slots = [rack.id for rack, count in zip(racks, shape, strict=True) for _ in range(count)]
        for kinds in product(CAPACITY_KINDS, repeat=len(slots)):
            hosts = [
                build(rack_id, index, kind) for index, (rack_id, kind) in enumerate(zip(slots, kinds, strict=True))
            ]
            check(hosts, racks, LARGE, None, {})
            cases += 1
    assert cases == 8 + 2 * 8**2 + 4 * 8**3 + 6 * 8**4  # four hosts: 1+3, 3+1, 2+2 and three ways of 1+1+2


# The members of the set on a host: update domain -> count, against a VM bound for update domain 0.
MEMBER_PATTERNS = [{}, {0: 1}, {0: 2}, {1: 1}, {0: 1, 1: 1}, {1: 1, 2: 1}]


def test_every_small_rack_for_a_bound_fault_domain():
    """The VM stays in its fault domain's rack, on the host that adds the fewest update domains of the set."""
    kinds = [(kind, members) for kind in [*list(CAPACITY_KINDS)[::2], "short of memory"] for members in MEMBER_PATTERNS]
    elsewhere = build(RACKS[1].id, 99, "empty")
    cases = 0
    for count in range(1, 4):
        for chosen in product(kinds, repeat=count):
            hosts = [build(RACKS[0].id, index, kind, members) for index, (kind, members) in enumerate(chosen)]
            check([*hosts, elsewhere], RACKS[:2], LARGE, (1, 0), {1: RACKS[0].id, 0: RACKS[1].id})
            check([*hosts, elsewhere], RACKS[:2], LARGE, (2, 0), {2: RACKS[0].id})
            cases += 1
    assert cases == 30 + 30**2 + 30**3


# Racks as lists of host kinds: room or not, more or less free capacity, capacity spread so no host has room.
RACK_PROFILES = [
    ["empty"],
    ["half used"],
    ["half used", "half used"],  # as much free as "empty": the rack's name decides
    ["short of cores", "short of memory"],  # the most free capacity, yet no host with room
    ["in maintenance"],
    ["half used", "unreachable"],
]


def test_every_binding_of_a_fault_domain_on_small_topologies():
    """A new fault domain goes to a rack of no other fault domain when one has room; the most free first."""
    cases = 0
    for rack_count in range(1, 4):
        racks = RACKS[:rack_count]
        for profiles in product(RACK_PROFILES, repeat=rack_count):
            hosts = [
                build(rack.id, rack.id * 10 + index, kind)
                for rack, profile in zip(racks, profiles, strict=True)
                for index, kind in enumerate(profile)
            ]
            for fault_domains in (2, 3):
                for bound_to in product([None, *racks], repeat=fault_domains):
                    bindings = {fd: rack.id for fd, rack in enumerate(bound_to) if rack is not None}
                    for fault_domain in range(fault_domains):
                        check(hosts, racks, LARGE, (fault_domain, 0), bindings)
                        cases += 1
    assert cases == sum(6**r * sum((r + 1) ** fds * fds for fds in (2, 3)) for r in (1, 2, 3))


# Random larger topologies


HOST_SHAPES = [(cores, cores * per_core) for cores in (4, 8, 16, 32) for per_core in (1792, 3584, 7168)]


@st.composite
def topologies(draw):
    rack_count = draw(st.integers(1, 8))
    ids = draw(st.lists(st.integers(1, 1000), min_size=rack_count, max_size=rack_count, unique=True))
    names = draw(st.lists(st.integers(1, 99), min_size=rack_count, max_size=rack_count, unique=True))
    racks = [Rack(id=rack_id, name=f"r{name}") for rack_id, name in zip(ids, names, strict=True)]
    fault_domains = draw(st.integers(1, 3))
    update_domains = draw(st.integers(1, 20))
    in_set = draw(st.booleans())
    members = (
        st.dictionaries(st.integers(0, update_domains - 1), st.integers(0, 3), max_size=3) if in_set else st.just({})
    )
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(racks),
                st.sampled_from([AVAILABLE, AVAILABLE, AVAILABLE, MAINTENANCE, UNREACHABLE]),
                st.sampled_from(HOST_SHAPES),
                st.floats(0, 1),
                st.floats(0, 1),
                members,
            ),
            max_size=60,
        )
    )
    hosts = [
        host(
            index * 7 + 1,
            rack.id,
            state=state,
            cores=cores,
            memory_mb=memory_mb,
            used_cores=round(cores * core_share),
            used_memory_mb=round(memory_mb * memory_share / 256) * 256,
            set_members=set_members,
        )
        for index, (rack, state, (cores, memory_mb), core_share, memory_share, set_members) in enumerate(rows)
    ]
    bindings = (
        {fd: draw(st.sampled_from(racks)).id for fd in range(fault_domains) if draw(st.booleans())} if in_set else {}
    )
    slot = (draw(st.integers(0, fault_domains - 1)), draw(st.integers(0, update_domains - 1))) if in_set else None
    size = draw(st.sampled_from([EXTRA_SMALL, SMALL, MEDIUM, LARGE, A6]))
    order = draw(st.permutations(range(len(hosts))))
    return hosts, racks, size, slot, bindings, order


@settings(max_examples=400, deadline=None)
@given(topologies())
def test_random_topologies_match_brute_force(topology):
    hosts, racks, size, slot, bindings, order = topology
    result = check(hosts, racks, size, slot, bindings)
    shuffled = [hosts[index] for index in order]
    assert choose_host(hosts=shuffled, racks=racks[::-1], region=REGION, size=size, slot=slot, bindings=bindings) == (
        result
    )


# Whole sets, one VM after another


def place_set(hosts: list[HostState], racks, size: Size, count: int, fault_domains: int, update_domains: int):
    """Place `count` members one by one as the service will: next_slot, then choose_host, then record the outcome."""
    hosts = {h.id: h for h in hosts}
    slots: list[Slot] = []
    bindings: dict[int, int] = {}
    placed: list[tuple[Slot, HostChoice]] = []
    for _ in range(count):
        slot = next_slot(slots, fault_domain_count=fault_domains, update_domain_count=update_domains)
        result = choose_host(
            hosts=list(hosts.values()), racks=racks, region=REGION, size=size, slot=slot, bindings=bindings
        )
        assert isinstance(result, HostChoice), result
        if result.new_binding is not None:
            bindings[result.new_binding[0]] = result.new_binding[1]
        chosen = hosts[result.host_id]
        members = Counter(chosen.set_members)
        members[slot.update_domain] += 1
        hosts[chosen.id] = host(
            chosen.id,
            chosen.rack_id,
            cores=chosen.cores,
            memory_mb=chosen.memory_mb,
            used_cores=chosen.used_cores + size.cores,
            used_memory_mb=chosen.used_memory_mb + size.memory_mb,
            set_members=dict(members),
        )
        slots.append(slot)
        placed.append((slot, result))
    return placed, bindings


def test_a_set_of_ten_spreads_fault_domains_over_racks_and_update_domains_over_hosts():
    racks = RACKS
    hosts = [host(rack.id * 10 + n, rack.id, cores=32, memory_mb=57344) for rack in racks for n in range(5)]
    placed, bindings = place_set(hosts, racks, LARGE, 10, 2, 5)
    assert bindings == {0: 30, 1: 20}  # equal free capacity: rack r1, then r2
    assert shared_racks(bindings) == []
    for slot, choice in placed:
        assert choice.rack_id == bindings[slot.fault_domain]
    # Five hosts per rack, five members per fault domain: every member on a host of its own.
    assert len({choice.host_id for _, choice in placed}) == 10


def test_with_more_update_domains_than_hosts_each_host_takes_a_share_of_them():
    racks = RACKS[:2]
    hosts = [host(rack.id * 10 + n, rack.id, cores=32, memory_mb=57344) for rack in racks for n in range(2)]
    placed, _ = place_set(hosts, racks, SMALL, 10, 2, 5)
    update_domains_on = Counter()
    for slot, choice in {(slot.update_domain, choice.host_id): (slot, choice) for slot, choice in placed}.values():
        update_domains_on[choice.host_id] += 1
    # Each fault domain's five members, in five update domains, on its rack's two hosts: three and two.
    assert sorted(update_domains_on.values()) == [2, 2, 3, 3]
    assert {choice.rack_id for _, choice in placed} == {30, 20}


def test_with_fewer_racks_than_fault_domains_the_set_still_places_and_says_which_share():
    racks = RACKS[:2]
    hosts = [host(rack.id * 10 + n, rack.id, cores=32, memory_mb=57344) for rack in racks for n in range(3)]
    placed, bindings = place_set(hosts, racks, LARGE, 6, 3, 3)
    assert len(placed) == 6
    assert bindings == {0: 30, 1: 20, 2: 30}
    assert shared_racks(bindings) == [(30, [0, 2])]


def test_a_fault_domain_shares_a_rack_only_when_no_unbound_rack_has_room():
    racks = RACKS
    hosts = [host(1, 30), host(2, 20), host(3, 10, state=MAINTENANCE)]
    result = choose_host(hosts=hosts, racks=racks, region=REGION, size=LARGE, slot=(2, 0), bindings={0: 30, 1: 20})
    assert result == HostChoice(host_id=1, rack_id=30, new_binding=(2, 30))  # r1 and r2 equal: r1 by name
    hosts[2] = host(3, 10, cores=4, memory_mb=7168)
    result = choose_host(hosts=hosts, racks=racks, region=REGION, size=LARGE, slot=(2, 0), bindings={0: 30, 1: 20})
    assert result == HostChoice(host_id=3, rack_id=10, new_binding=(2, 10))


# Shared racks


def test_shared_racks_lists_each_rack_with_its_fault_domains():
    assert shared_racks({0: 7, 1: 8, 2: 7}) == [(7, [0, 2])]
    assert shared_racks({2: 8, 1: 7, 0: 8, 3: 7}) == [(8, [0, 2]), (7, [1, 3])]
    assert shared_racks({0: 7, 1: 8}) == []
    assert shared_racks({}) == []


def test_shared_racks_on_every_small_binding():
    for fault_domains in range(1, 4):
        for bound_to in product([None, 1, 2, 3], repeat=fault_domains):
            bindings = {fd: rack for fd, rack in enumerate(bound_to) if rack is not None}
            expected = sorted(
                (rack, sorted(fd for fd in bindings if bindings[fd] == rack))
                for rack in set(bindings.values())
                if list(bindings.values()).count(rack) > 1
            )
            result = shared_racks(bindings)
            assert sorted(result) == expected
            assert [fds[0] for _, fds in result] == sorted(fds[0] for _, fds in result)


# The words


def test_a_bound_rack_without_the_cores_says_so():
    hosts = [host(1, 20, used_cores=6), host(2, 30)]
    result = choose_host(hosts=hosts, racks=RACKS[:2], region=REGION, size=LARGE, slot=(0, 0), bindings={0: 20})
    assert result == NoRoom("No host in rack r2 of West US has 4 free cores for a Large virtual machine")


def test_a_bound_rack_without_the_memory_says_so():
    hosts = [host(1, 20, used_memory_mb=8192), host(2, 20, used_cores=6), host(3, 30)]
    result = choose_host(hosts=hosts, racks=RACKS[:2], region=REGION, size=LARGE, slot=(0, 0), bindings={0: 20})
    assert result == NoRoom("No host in rack r2 of West US has 7 GB of free memory for a Large virtual machine")


def test_a_rack_whose_hosts_are_not_available_has_no_room():
    hosts = [host(1, 20, state=MAINTENANCE), host(2, 20, state=UNREACHABLE)]
    result = choose_host(hosts=hosts, racks=RACKS[:2], region=REGION, size=LARGE, slot=(0, 0), bindings={0: 20})
    assert result == NoRoom("No host in rack r2 of West US has 4 free cores for a Large virtual machine")


def test_no_rack_in_the_region_with_room_says_so():
    hosts = [host(1, 20, used_cores=6), host(2, 30, used_cores=5)]
    result = choose_host(hosts=hosts, racks=RACKS[:2], region=REGION, size=LARGE, slot=(1, 0), bindings={0: 20})
    assert result == NoRoom("No rack in West US has a host with 4 free cores for a Large virtual machine")
    hosts = [host(1, 20, used_memory_mb=10240), host(2, 30, used_cores=5)]
    result = choose_host(hosts=hosts, racks=RACKS[:2], region=REGION, size=LARGE, slot=None)
    assert result == NoRoom("No rack in West US has a host with 7 GB of free memory for a Large virtual machine")


def test_a_region_without_racks_has_no_room():
    result = choose_host(hosts=[], racks=[], region=REGION, size=SMALL)
    assert result == NoRoom("No rack in West US has a host with 1 free core for a Small virtual machine")


def test_small_sizes_and_sizes_starting_with_a_vowel_read_right():
    hosts = [host(1, 20, cores=1, memory_mb=512)]
    result = choose_host(hosts=hosts, racks=RACKS[1:2], region=REGION, size=EXTRA_SMALL)
    assert result == NoRoom(
        "No rack in West US has a host with 768 MB of free memory for an ExtraSmall virtual machine"
    )
    result = choose_host(hosts=hosts, racks=RACKS[1:2], region=REGION, size=SMALL)
    assert result == NoRoom("No rack in West US has a host with 1.75 GB of free memory for a Small virtual machine")
    result = choose_host(hosts=hosts, racks=RACKS[1:2], region=REGION, size=A6)
    assert result == NoRoom("No rack in West US has a host with 4 free cores for an A6 virtual machine")


def test_inconsistent_inputs_are_refused_loudly():
    with pytest.raises(ValueError, match="bound to rack 99"):
        choose_host(hosts=[], racks=RACKS, region=REGION, size=SMALL, slot=(0, 0), bindings={0: 99})
    with pytest.raises(ValueError, match="Host h1 is in rack 99"):
        choose_host(hosts=[host(1, 99)], racks=RACKS, region=REGION, size=SMALL)


# Resizing in place


def test_a_resize_without_the_cores_says_what_the_host_has():
    on_host = host(3, 20, used_cores=6)  # a Medium VM and 4 other cores in use: 4 cores for this VM
    result = resize_fits(on_host, rack=RACKS[1], region=REGION, old_size=MEDIUM, new_size=Size("ExtraLarge", 8, 14336))
    assert result == NoRoom(
        "Host h3 in rack r2 of West US has 4 free cores for this virtual machine; an ExtraLarge virtual machine needs 8"
    )


def test_a_resize_without_the_memory_says_what_the_host_has():
    on_host = host(3, 20, used_cores=2, used_memory_mb=12288)  # a Medium VM among others: 5.5 GB for this VM
    result = resize_fits(on_host, rack=RACKS[1], region=REGION, old_size=MEDIUM, new_size=LARGE)
    assert result == NoRoom(
        "Host h3 in rack r2 of West US has 5.5 GB of free memory for this virtual machine; "
        "a Large virtual machine needs 7 GB"
    )


def test_every_small_resize_matches_the_rule():
    """Fits when the host, with the VM's own share freed, has what the new size needs, or it asks no more."""
    sizes = [EXTRA_SMALL, SMALL, MEDIUM, LARGE, A6, Size("A5", 2, 14336)]
    for old_size, new_size in product(sizes, repeat=2):
        for used_cores, used_memory_mb in product(range(old_size.cores, 9), range(old_size.memory_mb, 14337, 256)):
            on_host = host(3, 20, used_cores=used_cores, used_memory_mb=used_memory_mb)
            result = resize_fits(on_host, rack=RACKS[1], region=REGION, old_size=old_size, new_size=new_size)
            grown = host(
                3,
                20,
                used_cores=used_cores - old_size.cores + new_size.cores,
                used_memory_mb=used_memory_mb - old_size.memory_mb + new_size.memory_mb,
            )
            fits_after = grown.used_cores <= grown.cores and grown.used_memory_mb <= grown.memory_mb
            assert (result is None) == fits_after, (old_size, new_size, used_cores, used_memory_mb)
            if result is not None:
                short_of_cores = grown.used_cores > grown.cores
                assert ("free cores" in result.message or "free core " in result.message) == short_of_cores


def test_a_smaller_size_always_fits_even_on_an_over_committed_host():
    on_host = host(3, 20, used_cores=12, used_memory_mb=20480)
    assert resize_fits(on_host, rack=RACKS[1], region=REGION, old_size=LARGE, new_size=MEDIUM) is None


def test_the_module_is_pure():
    """Importing fabric.placement loads neither Django nor any app of the portal, so anything can call it."""
    root = Path(__file__).resolve().parents[2]
    apps = sorted(
        path.parent.name for path in root.glob("*/__init__.py") if path.parent.name not in {"fabric", "tests"}
    )
    assert {"portal", "vms", "availability"} <= set(apps)
    program = (
        "import sys, fabric.placement; "
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & {{'django', *{apps!r}}}))"
    )
    loaded = subprocess.run([sys.executable, "-c", program], cwd=root, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_host_states_are_the_models_values():
    """Placement reads a host's state as the Host row stores it, so an Available host is found with room."""
    from fabric.models import Host

    assert {status.value for status in HostStatus} == set(Host.State.values)
