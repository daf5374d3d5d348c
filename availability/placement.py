"""Where a VM goes in its set: the spread that keeps a rack failure or an update round from taking a role down."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple


class Slot(NamedTuple):
    fault_domain: int
    update_domain: int


def least_loaded(counts: Counter[int], domain_count: int) -> int:
    """Return the domain with the fewest members, the lowest index on ties."""
    return min(range(domain_count), key=lambda domain: (counts[domain], domain))


def next_slot(taken: Iterable[Slot], *, fault_domain_count: int, update_domain_count: int) -> Slot:
    """Pick the least-loaded update domain, then the least-loaded fault domain.

    Added one after another this is the platform's round-robin: VM 1 in FD 0/UD 0, VM 2 in FD 1/UD 1, ...,
    VM 6 in FD 1/UD 0.
    """
    taken = list(taken)
    update_domain = least_loaded(Counter(slot.update_domain for slot in taken), update_domain_count)
    fault_domain = least_loaded(Counter(slot.fault_domain for slot in taken), fault_domain_count)
    return Slot(fault_domain=fault_domain, update_domain=update_domain)


def is_balanced(taken: Iterable[Slot], *, fault_domain_count: int, update_domain_count: int) -> bool:
    """Tell whether no domain holds two more members than another: the spread placement keeps."""
    taken = list(taken)
    for counts, domains in (
        (Counter(slot.fault_domain for slot in taken), fault_domain_count),
        (Counter(slot.update_domain for slot in taken), update_domain_count),
    ):
        loads = [counts[domain] for domain in range(domains)]
        if max(loads) - min(loads) > 1:
            return False
    return True
