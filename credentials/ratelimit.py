"""A per-credential rate limit over fixed windows, counted in the database so that every web process shares it.

A credential is whatever a caller proves who it is with: an API token (the JSON API, or the classic API with a
bearer token) or a management certificate (the classic API). Each has one count, whichever API it calls.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from credentials.models import ApiRequestCount, ApiToken


def window_of(moment: datetime, seconds: int) -> int:
    """Number the fixed window a moment falls in."""
    return int(moment.timestamp() // seconds)


def seconds_until_next_window(moment: datetime, seconds: int) -> int:
    """Whole seconds from a moment to the start of the next window, at least 1."""
    return max(1, math.ceil((window_of(moment, seconds) + 1) * seconds - moment.timestamp()))


def token_credential(token: ApiToken) -> str:
    """Name an API token as the rate limit counts it."""
    return f"token:{token.pk}"


def certificate_credential(thumbprint: str) -> str:
    """Name a management certificate as the rate limit counts it: by its thumbprint, in every subscription alike."""
    return f"certificate:{thumbprint.upper()}"


def rate_limit_hit(credential: str, *, now: datetime | None = None) -> int | None:
    """Count one request of the credential; return the seconds to wait when it is over its limit, else None."""
    limit, seconds = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW_SECONDS
    if limit <= 0:
        return None
    now = now or timezone.now()
    window = window_of(now, seconds)
    count = _count_one(credential, window)
    if count is None:
        try:
            with transaction.atomic():
                ApiRequestCount.objects.create(credential=credential, window=window, count=1)
            count = 1
        except IntegrityError:  # another process opened this window first
            count = _count_one(credential, window)
    return seconds_until_next_window(now, seconds) if count > limit else None


def _count_one(credential: str, window: int) -> int | None:
    """Add one to the window's count and return the new count in the same statement, or None without a row.

    Reading the count back in the statement that raises it means concurrent requests each see their own number,
    so exactly `limit` of them pass.
    """
    table = connection.ops.quote_name(ApiRequestCount._meta.db_table)
    count, credential_column, window_column = (
        connection.ops.quote_name(name) for name in ("count", "credential", "window")
    )
    # Names are quoted by the backend and values bound as parameters.
    sql = (
        f"UPDATE {table} SET {count} = {count} + 1 "  # noqa: S608
        f"WHERE {credential_column} = %s AND {window_column} = %s RETURNING {count}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [credential, window])
        row = cursor.fetchone()
    return row[0] if row else None


def rate_counts_prune(*, now: datetime | None = None) -> int:
    """Delete the counts of windows that have ended; return how many went."""
    now = now or timezone.now()
    oldest_kept = window_of(now - timedelta(seconds=settings.API_RATE_WINDOW_SECONDS), settings.API_RATE_WINDOW_SECONDS)
    deleted, _ = ApiRequestCount.objects.filter(window__lt=oldest_kept).delete()
    return deleted
