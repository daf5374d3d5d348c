"""What a personal API token looks like, and who a presented one belongs to."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import NamedTuple

from django.db.models import Exists, OuterRef
from django.utils import timezone

from credentials.models import ApiToken
from portal.models import Subscription

SCHEME = "cpt"
PREFIX_BYTES = 6
SECRET_BYTES = 32
# Recording each use would write on every request; once a minute is enough to tell a token is in use.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class NewToken(NamedTuple):
    """A freshly made token: its public prefix, the hash to keep and the whole value to hand over once."""

    prefix: str
    secret_hash: str
    raw: str


def secret_hash(secret: str) -> str:
    """Return the SHA-256 of a secret in hex: the only form in which a token's secret is kept."""
    return hashlib.sha256(secret.encode()).hexdigest()


def token_generate() -> NewToken:
    """Make a token `cpt_<prefix>_<secret>` with a 256-bit secret."""
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return NewToken(prefix=prefix, secret_hash=secret_hash(secret), raw=f"{SCHEME}_{prefix}_{secret}")


def token_parse(raw: str) -> tuple[str, str] | None:
    """Split a presented token into its prefix and secret, or None when it is not shaped like one."""
    scheme, _, rest = raw.strip().partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != SCHEME or len(prefix) != PREFIX_BYTES * 2 or not secret or len(secret) > 128:
        return None
    return prefix, secret


def token_authenticate(raw: str) -> ApiToken | None:
    """Return the live token a request presents, or None if it is unknown, expired, revoked or its user left."""
    parsed = token_parse(raw or "")
    if parsed is None:
        return None
    prefix, secret = parsed
    is_member = Subscription.members.through.objects.filter(
        subscription_id=OuterRef("subscription_id"), user_id=OuterRef("user_id")
    )
    token = (
        ApiToken.objects.select_related("user", "subscription")
        .annotate(user_is_member=Exists(is_member))
        .filter(prefix=prefix)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, secret_hash(secret)):
        return None
    now = timezone.now()
    if token.revoked_at is not None or token.expires_at <= now:
        return None
    if not token.user.is_active or not token.user_is_member:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
