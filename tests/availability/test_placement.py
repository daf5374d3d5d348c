"""Placement and rebalancing, against brute force: every pattern of a 2 x 5 set, and random larger sets."""

from __future__ import annotations

from collections import Counter
from itertools import combinations, product

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from availability.placement import Slot, is_balanced, next_slot, rebalance_plan


def place(count: int, fault_domains: int = 2, update_domains: int = 5) -> list[Slot]:
    slots: list[Slot] = []
    for _ in range(count):
        slots.append(next_slot(slots, fault_domain_count=fault_domains, update_domain_count=update_domains))
    return slots


def all_slots(fault_domains: int, update_domains: int) -> list[Slot]:
    return [Slot(f, u) for f in range(fault_domains) for u in range(update_domains)]


def rule_by_brute_force(taken: list[Slot], fault_domains: int, update_domains: int) -> Slot:
    """The rule read literally: over every slot, least-loaded UD (lowest index), fewest in slot, least-loaded FD."""
    in_ud = Counter(slot.update_domain for slot in taken)
    in_fd = Counter(slot.fault_domain for slot in taken)
    in_slot = Counter(taken)
    return min(
        all_slots(fault_domains, update_domains),
        key=lambda s: (in_ud[s.update_domain], s.update_domain, in_slot[s], in_fd[s.fault_domain], s.fault_domain),
    )


def spread(values: Counter[int], domains: int) -> int:
    loads = [values[domain] for domain in range(domains)]
    return max(loads) - min(loads)


def check_join(taken: list[Slot], fault_domains: int, update_domains: int) -> None:
    chosen = next_slot(taken, fault_domain_count=fault_domains, update_domain_count=update_domains)
    assert chosen == rule_by_brute_force(taken, fault_domains, update_domains)
    free = set(all_slots(fault_domains, update_domains)) - set(taken)
    if free:
        assert chosen in free, (taken, chosen)
    before = spread(Counter(slot.update_domain for slot in taken), update_domains)
    after = spread(Counter(slot.update_domain for slot in [*taken, chosen]), update_domains)
    if before <= 1:
        assert after <= 1, (taken, chosen)


def test_sequential_placement_is_the_platform_round_robin():
    assert place(7) == [
        Slot(0, 0),
        Slot(1, 1),
        Slot(0, 2),
        Slot(1, 3),
        Slot(0, 4),
        Slot(1, 0),
        Slot(0, 1),
    ]


def test_a_freed_slot_is_taken_by_the_next_vm():
    slots = place(4)
    del slots[1]  # the VM in FD 1 / UD 1 leaves
    assert next_slot(slots, fault_domain_count=2, update_domain_count=5) == Slot(1, 1)


def test_after_two_leave_a_full_set_the_next_vm_takes_a_free_slot():
    slots = [slot for slot in all_slots(2, 5) if slot not in {Slot(1, 0), Slot(0, 1)}]
    assert next_slot(slots, fault_domain_count=2, update_domain_count=5) == Slot(1, 0)


def test_every_occupancy_pattern_of_a_2_by_5_set():
    slots = all_slots(2, 5)
    patterns = list(product((False, True), repeat=len(slots)))
    assert len(patterns) == 1024
    for pattern in patterns:
        check_join([slot for slot, occupied in zip(slots, pattern, strict=True) if occupied], 2, 5)


@st.composite
def occupancy_patterns(draw):
    fault_domains = draw(st.integers(1, 3))
    update_domains = draw(st.integers(1, 20))
    slots = all_slots(fault_domains, update_domains)
    taken = draw(st.lists(st.sampled_from(slots), unique=True, max_size=len(slots)))
    return taken, fault_domains, update_domains


@settings(max_examples=400, deadline=None)
@given(occupancy_patterns())
def test_random_patterns_of_larger_sets(pattern):
    check_join(*pattern)


def test_placement_keeps_every_set_balanced():
    for count in range(1, 40):
        assert is_balanced(place(count), fault_domain_count=2, update_domain_count=5)
        assert is_balanced(place(count, 3, 20), fault_domain_count=3, update_domain_count=20)


def test_an_uneven_spread_is_reported():
    assert not is_balanced([Slot(0, 0), Slot(0, 0), Slot(0, 1)], fault_domain_count=2, update_domain_count=5)


# Rebalancing


def balanced_by_brute_force(slots: list[Slot], fault_domains: int, update_domains: int) -> bool:
    """No two fault domains, and no two update domains, differ by more than one member."""
    for axis, domains in ((0, fault_domains), (1, update_domains)):
        loads = Counter(slot[axis] for slot in slots)
        if any(abs(loads[a] - loads[b]) > 1 for a in range(domains) for b in range(domains)):
            return False
    return True


def fewest_moves_by_brute_force(slots: list[Slot], fault_domains: int, update_domains: int) -> int:
    """Try every set of members to move and every place to put them, smallest sets first."""
    targets = all_slots(fault_domains, update_domains)
    for moved in range(len(slots) + 1):
        for chosen in combinations(range(len(slots)), moved):
            staying = [slot for index, slot in enumerate(slots) if index not in chosen]
            for placed in product(targets, repeat=moved):
                if balanced_by_brute_force(staying + list(placed), fault_domains, update_domains):
                    return moved
    raise AssertionError("unreachable: any set can be spread evenly")


def apply(members: list[tuple[int, Slot]], moves) -> list[Slot]:
    where = dict(members)
    for move in moves:
        assert where[move.member] == move.source
        where[move.member] = move.target
    return list(where.values())


def check_rebalance(slots: list[Slot], fault_domains: int, update_domains: int, *, brute_force: bool) -> None:
    members = list(enumerate(slots))
    moves = rebalance_plan(members, fault_domain_count=fault_domains, update_domain_count=update_domains)
    balanced = is_balanced(slots, fault_domain_count=fault_domains, update_domain_count=update_domains)
    assert balanced == balanced_by_brute_force(slots, fault_domains, update_domains)
    assert (moves == []) == balanced
    assert len({move.member for move in moves}) == len(moves)
    assert all(move.source != move.target for move in moves)
    after = apply(members, moves)
    assert is_balanced(after, fault_domain_count=fault_domains, update_domain_count=update_domains)
    if brute_force:
        assert len(moves) == fewest_moves_by_brute_force(slots, fault_domains, update_domains), slots


def test_the_sets_two_leavers_unbalanced_need_one_move():
    # Joins at 0/0, 1/1, 0/2, 1/3, then the 0/0 and 0/2 members leave: FD 0 is empty, FD 1 holds two.
    members = [("web2", Slot(1, 1)), ("web4", Slot(1, 3))]
    assert rebalance_plan(members, fault_domain_count=2, update_domain_count=5) == [("web4", Slot(1, 3), Slot(0, 0))]


def test_every_small_set_is_rebalanced_with_the_fewest_moves():
    for fault_domains, update_domains, most in ((2, 2, 5), (2, 3, 5), (3, 2, 4), (1, 3, 5)):
        slots = all_slots(fault_domains, update_domains)
        for count in range(most + 1):
            for chosen in set(map(tuple, map(sorted, product(slots, repeat=count)))):
                check_rebalance(list(chosen), fault_domains, update_domains, brute_force=True)


@st.composite
def crowded_sets(draw, *, most_fault_domains=3, most_update_domains=20, most_members=50):
    fault_domains = draw(st.integers(1, most_fault_domains))
    update_domains = draw(st.integers(1, most_update_domains))
    slots = draw(st.lists(st.sampled_from(all_slots(fault_domains, update_domains)), max_size=most_members))
    return slots, fault_domains, update_domains


@settings(max_examples=150, deadline=None)
@given(crowded_sets(most_fault_domains=2, most_update_domains=5, most_members=6))
def test_random_small_sets_are_rebalanced_with_the_fewest_moves(crowded):
    check_rebalance(*crowded, brute_force=True)


@settings(max_examples=300, deadline=None)
@given(crowded_sets())
def test_random_large_sets_are_rebalanced(crowded):
    check_rebalance(*crowded, brute_force=False)


@pytest.mark.parametrize("count", [2, 7, 10, 13])
def test_a_set_placement_made_needs_no_moves(count):
    members = list(enumerate(place(count)))
    assert rebalance_plan(members, fault_domain_count=2, update_domain_count=5) == []
