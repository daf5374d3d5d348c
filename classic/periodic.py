"""The classic API's part of the worker's schedule: request outcomes are kept for a while, then dropped."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from classic.models import ClassicRequest
from portal.periodic import periodic


@periodic(name="classic.prune_requests", seconds=3600)
def prune_requests() -> int:
    """Drop request outcomes older than CLASSIC_REQUEST_RETENTION_HOURS; Get Operation Status then answers 404."""
    cutoff = timezone.now() - timedelta(hours=settings.CLASSIC_REQUEST_RETENTION_HOURS)
    deleted, _ = ClassicRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
