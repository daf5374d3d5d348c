"""Idempotent creates: the first answer to a token's Idempotency-Key is kept and replayed for the same request."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from api.errors import ApiError
from api.models import ApiIdempotentRequest
from credentials.models import ApiToken

KEY_REUSED = "This Idempotency-Key was already used for a different request; use a new key for a new request."


class Answer(NamedTuple):
    """A create's answer as it is sent and kept: status, JSON body and Location."""

    status: int
    body: dict
    location: str = ""


def request_fingerprint(method: str, path: str, body: bytes) -> str:
    """Hash what makes two requests the same: method, path and the body's JSON, whatever its spacing and order."""
    try:
        canonical = json.dumps(json.loads(body or b"null"), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode("utf-8", "replace")
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def idempotent(
    *, token: ApiToken, key: str | None, fingerprint: str, create: Callable[[], Answer]
) -> tuple[Answer, bool]:
    """Run a create once per key: return its answer and whether it replays an earlier one.

    The key is claimed first, in the create's own transaction: a create that fails keeps no key, so a retry runs
    again, and a request racing the first one waits on the unique key until the first commits, then replays it.
    """
    if not key:
        return create(), False
    if (kept := _kept_answer(token, key, fingerprint)) is not None:
        return kept, True
    try:
        with transaction.atomic():
            claim = ApiIdempotentRequest.objects.create(
                token=token, key=key, fingerprint=fingerprint, status_code=0, body={}
            )
            answer = create()
            claim.status_code, claim.body, claim.location = answer.status, answer.body, answer.location
            claim.save(update_fields=["status_code", "body", "location"])
        return answer, False
    except IntegrityError:
        kept = _kept_answer(token, key, fingerprint)
        if kept is None:
            raise
        return kept, True


def _kept_answer(token: ApiToken, key: str, fingerprint: str) -> Answer | None:
    first = ApiIdempotentRequest.objects.filter(token=token, key=key).first()
    if first is None:
        return None
    if first.fingerprint != fingerprint:
        raise ApiError(409, "idempotency_key_reused", KEY_REUSED, {"Idempotency-Key": [KEY_REUSED]})
    return Answer(first.status_code, first.body, first.location)


def idempotency_keys_prune(*, now: datetime | None = None) -> int:
    """Forget keys older than API_IDEMPOTENCY_HOURS; return how many went."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    deleted, _ = ApiIdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
