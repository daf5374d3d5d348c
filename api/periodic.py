"""The JSON API's housekeeping in the worker: forget old idempotency keys."""

from __future__ import annotations

from api.idempotency import idempotency_keys_prune
from portal.periodic import periodic


@periodic(name="api.prune_idempotency_keys", seconds=3600)
def prune_idempotency_keys() -> None:
    idempotency_keys_prune()
