"""Where a VM goes in its set: the spread that keeps a rack failure or an update round from taking a role down.

Also how to bring a set whose members left unevenly back into balance with the fewest moves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from typing import NamedTuple


class Slot(NamedTuple):
    fault_domain: int
    update_domain: int


def least_loaded(counts: Counter[int], domain_count: int) -> int:
    """Return the domain with the fewest members, the lowest index on ties."""
    return min(range(domain_count), key=lambda domain: (counts[domain], domain))


def next_slot(taken: Iterable[Slot], *, fault_domain_count: int, update_domain_count: int) -> Slot:
    """Pick the least-loaded update domain, then in it the slot with the fewest members, then the least-loaded FD.

    Lowest index on every tie. Added one after another this is the platform's round-robin: VM 1 in FD 0/UD 0,
    VM 2 in FD 1/UD 1, ..., VM 6 in FD 1/UD 0, VM 7 in FD 0/UD 1. A slot already taken is chosen only when the
    update domain has no free one, so a VM never doubles up in a slot while the set has a free one of equal spread.
    """
    taken = list(taken)
    update_domain = least_loaded(Counter(slot.update_domain for slot in taken), update_domain_count)
    in_slot = Counter(slot.fault_domain for slot in taken if slot.update_domain == update_domain)
    fault_load = Counter(slot.fault_domain for slot in taken)
    fault_domain = min(range(fault_domain_count), key=lambda domain: (in_slot[domain], fault_load[domain], domain))
    return Slot(fault_domain=fault_domain, update_domain=update_domain)


def _spread_ok(counts: Counter[int], domain_count: int) -> bool:
    loads = [counts[domain] for domain in range(domain_count)]
    return max(loads) - min(loads) <= 1


def is_balanced(taken: Iterable[Slot], *, fault_domain_count: int, update_domain_count: int) -> bool:
    """Tell whether no fault domain and no update domain holds two more members than another of its kind."""
    taken = list(taken)
    return _spread_ok(Counter(slot.fault_domain for slot in taken), fault_domain_count) and _spread_ok(
        Counter(slot.update_domain for slot in taken), update_domain_count
    )


class Move(NamedTuple):
    member: Hashable
    source: Slot
    target: Slot


def rebalance_plan(
    members: Sequence[tuple[Hashable, Slot]], *, fault_domain_count: int, update_domain_count: int
) -> list[Move]:
    """Plan the fewest moves that make a set balanced (as is_balanced judges); none when it already is.

    A member stays where it is if it can: the largest group of members that can stay is a maximum flow from the
    fault domains to the update domains, each domain capped at the members it may hold once balanced. The rest
    move, each to a slot holding as few members as possible. Members are taken in the order given, and the later
    ones in a crowded slot are the ones that move.
    """
    count = len(members)
    kept = _members_that_stay(
        Counter(slot for _, slot in members),
        count=count,
        fault_domain_count=fault_domain_count,
        update_domain_count=update_domain_count,
    )
    staying: Counter[Slot] = Counter()
    leaving: list[tuple[Hashable, Slot]] = []
    for member, slot in members:
        if staying[slot] < kept[slot]:
            staying[slot] += 1
        else:
            leaving.append((member, slot))
    fault_staying: Counter[int] = Counter()
    update_staying: Counter[int] = Counter()
    for slot, n in staying.items():
        fault_staying[slot.fault_domain] += n
        update_staying[slot.update_domain] += n
    fault_need = _fill(fault_staying, count, fault_domain_count)
    update_need = _fill(update_staying, count, update_domain_count)
    occupancy = Counter(staying)
    moves = []
    for member, source in leaving:
        target = min(
            (
                Slot(f, u)
                for f in range(fault_domain_count)
                if fault_need[f]
                for u in range(update_domain_count)
                if update_need[u]
            ),
            key=lambda slot: (occupancy[slot], slot.update_domain, slot.fault_domain),
        )
        fault_need[target.fault_domain] -= 1
        update_need[target.update_domain] -= 1
        occupancy[target] += 1
        moves.append(Move(member=member, source=source, target=target))
    return moves


def _fill(staying: Counter[int], count: int, domain_count: int) -> Counter[int]:
    """Return how many members each domain must receive to reach a balanced spread of `count` members."""
    base, extra = divmod(count, domain_count)
    full = [domain for domain in range(domain_count) if staying[domain] > base]
    others = [domain for domain in range(domain_count) if staying[domain] <= base]
    fuller = set(full + others[: max(extra - len(full), 0)])
    return Counter({domain: base + (domain in fuller) - staying[domain] for domain in range(domain_count)})


def _members_that_stay(
    occupancy: Counter[Slot], *, count: int, fault_domain_count: int, update_domain_count: int
) -> Counter[Slot]:
    """Return, per slot, how many of its members stay: a maximum flow through fault domain, slot and update domain.

    Source -> fault domain f (capacity: the balanced share, base) and source -> "extra" -> f (capacity 1 each, at
    most `count mod fault domains` in all) lets some fault domains hold one more; the update domains drain to the
    sink the same way. Whatever the flow keeps can be topped up to a balanced spread by the members that move.
    """
    fault_base, fault_extra = divmod(count, fault_domain_count)
    update_base, update_extra = divmod(count, update_domain_count)
    source, sink, fault_hub, update_hub = "source", "sink", "fault-extra", "update-extra"
    capacity: dict[Hashable, dict[Hashable, int]] = {}

    def edge(a: Hashable, b: Hashable, amount: int) -> None:
        capacity.setdefault(a, {})[b] = capacity.get(a, {}).get(b, 0) + amount
        capacity.setdefault(b, {}).setdefault(a, 0)

    edge(source, fault_hub, fault_extra)
    for f in range(fault_domain_count):
        edge(source, ("fd", f), fault_base)
        edge(fault_hub, ("fd", f), 1)
    for u in range(update_domain_count):
        edge(("ud", u), sink, update_base)
        edge(("ud", u), update_hub, 1)
    edge(update_hub, sink, update_extra)
    for slot, n in occupancy.items():
        edge(("fd", slot.fault_domain), ("ud", slot.update_domain), n)

    original = {a: dict(targets) for a, targets in capacity.items()}
    while path := _augmenting_path(capacity, source, sink):
        amount = min(capacity[a][b] for a, b in path)
        for a, b in path:
            capacity[a][b] -= amount
            capacity[b][a] += amount
    return Counter(
        {
            slot: original[("fd", slot.fault_domain)][("ud", slot.update_domain)]
            - capacity[("fd", slot.fault_domain)][("ud", slot.update_domain)]
            for slot in occupancy
        }
    )


def _augmenting_path(
    capacity: dict[Hashable, dict[Hashable, int]], source: Hashable, sink: Hashable
) -> list[tuple[Hashable, Hashable]]:
    """Return the shortest path with capacity left from source to sink, as edges, or [] when there is none."""
    came_from: dict[Hashable, Hashable] = {source: source}
    frontier = [source]
    while frontier and sink not in came_from:
        following = []
        for node in frontier:
            for neighbour, left in capacity[node].items():
                if left > 0 and neighbour not in came_from:
                    came_from[neighbour] = node
                    following.append(neighbour)
        frontier = following
    if sink not in came_from:
        return []
    path = []
    node = sink
    while node != source:
        path.append((came_from[node], node))
        node = came_from[node]
    return path[::-1]
