"""Housekeeping in the worker: forget the rate limit's ended windows."""

from __future__ import annotations

from credentials.ratelimit import rate_counts_prune
from portal.periodic import periodic


@periodic(name="credentials.prune_rate_counts", seconds=300)
def prune_rate_counts() -> None:
    rate_counts_prune()
