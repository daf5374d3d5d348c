"""A per-token rate limit over fixed windows, counted in the database so that every web process shares it."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from api.models import ApiRequestCount, ApiToken


def window_of(moment: datetime, seconds: int) -> int:
    """Number the fixed window a moment falls in."""
    return int(moment.timestamp() // seconds)


def seconds_until_next_window(moment: datetime, seconds: int) -> int:
    """Whole seconds from a moment to the start of the next window, at least 1."""
    return max(1, math.ceil((window_of(moment, seconds) + 1) * seconds - moment.timestamp()))


def rate_limit_hit(token: ApiToken, *, now: datetime | None = None) -> int | None:
    """Count one request of the token; return the seconds to wait when it is over its limit, else None."""
    limit, seconds = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW_SECONDS
    if limit <= 0:
        return None
    now = now or timezone.now()
    window = window_of(now, seconds)
    counts = ApiRequestCount.objects.filter(token=token, window=window)
    if not counts.update(count=F("count") + 1):
        try:
            with transaction.atomic():
                ApiRequestCount.objects.create(token=token, window=window, count=1)
        except IntegrityError:  # another process made this window's row first
            counts.update(count=F("count") + 1)
    count = counts.values_list("count", flat=True).first() or 0
    return seconds_until_next_window(now, seconds) if count > limit else None


def rate_counts_prune(*, now: datetime | None = None) -> int:
    """Delete the counts of windows that have ended; return how many went."""
    now = now or timezone.now()
    oldest_kept = window_of(now - timedelta(seconds=settings.API_RATE_WINDOW_SECONDS), settings.API_RATE_WINDOW_SECONDS)
    deleted, _ = ApiRequestCount.objects.filter(window__lt=oldest_kept).delete()
    return deleted
