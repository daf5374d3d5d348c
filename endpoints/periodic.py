"""The endpoints' jobs in the worker's schedule."""

from __future__ import annotations

from django.utils import timezone

from endpoints.probes import ProbeRound, load_balanced_sets_probe
from endpoints.services import load_balanced_sets_remove_empty
from portal.periodic import periodic

# Each round probes only the sets whose own interval has passed, so a short tick costs one small read when none is due.
PROBE_TICK_SECONDS = 1


@periodic(name="endpoints.probe", seconds=PROBE_TICK_SECONDS)
def probe_load_balanced_sets() -> ProbeRound:
    """Run one probe round of the fabric's load balancer."""
    return load_balanced_sets_probe(now=timezone.now())


@periodic(name="endpoints.remove_empty_sets", seconds=10)
def remove_empty_load_balanced_sets() -> int:
    """Remove the sets left without members by deleted VMs, as deleting the last member's endpoint does."""
    return load_balanced_sets_remove_empty()
