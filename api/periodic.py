"""The API's housekeeping in the worker: forget ended rate-limit windows and old idempotency keys."""

from __future__ import annotations

from api.idempotency import idempotency_keys_prune
from api.ratelimit import rate_counts_prune
from portal.periodic import periodic


@periodic(name="api.prune_rate_counts", seconds=300)
def prune_rate_counts() -> None:
    rate_counts_prune()


@periodic(name="api.prune_idempotency_keys", seconds=3600)
def prune_idempotency_keys() -> None:
    idempotency_keys_prune()
