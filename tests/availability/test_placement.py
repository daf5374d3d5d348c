"""Placement: the least-loaded update domain, then the least-loaded fault domain, lowest index on ties."""

from __future__ import annotations

from availability.placement import Slot, is_balanced, next_slot


def place(count: int, fault_domains: int = 2, update_domains: int = 5) -> list[Slot]:
    slots: list[Slot] = []
    for _ in range(count):
        slots.append(next_slot(slots, fault_domain_count=fault_domains, update_domain_count=update_domains))
    return slots


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


def test_placement_keeps_every_set_balanced():
    for count in range(1, 40):
        assert is_balanced(place(count), fault_domain_count=2, update_domain_count=5)
        assert is_balanced(place(count, 3, 20), fault_domain_count=3, update_domain_count=20)


def test_an_uneven_spread_is_reported():
    assert not is_balanced([Slot(0, 0), Slot(0, 0), Slot(0, 1)], fault_domain_count=2, update_domain_count=5)
