"""The monitor's writes: a round's samples, the 5-minute roll-ups, and retention."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min

from monitor.models import MetricSample
from monitor.series import METRICS, Rates, average, bucket_start

RAW = MetricSample.Resolution.RAW
ROLLUP = MetricSample.Resolution.FIVE_MINUTES
# One roll-up pass reads at most this much raw history, so a worker that was away catches up in steps.
ROLLUP_PASS = timedelta(hours=6)


def metric_samples_record(*, at: datetime, samples: Iterable[tuple[int, Rates]]) -> int:
    """Store one round's samples (VM id, rates) in one insert; a VM already sampled at that moment is kept."""
    rows = [
        MetricSample(virtual_machine_id=vm_id, resolution=RAW, at=at, **dict(zip(METRICS, rates.values(), strict=True)))
        for vm_id, rates in samples
    ]
    MetricSample.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def rollup_cutoff(now: datetime) -> datetime:
    """Return the end of the last 5-minute bucket whose samples are all in (one sampling round after it closed)."""
    return bucket_start(now - timedelta(seconds=settings.MONITOR_SAMPLE_SECONDS), ROLLUP)


@transaction.atomic
def metric_samples_roll_up(*, now: datetime) -> int:
    """Average the raw samples of every closed 5-minute bucket not yet rolled up; return the roll-ups written."""
    end = rollup_cutoff(now)
    last = MetricSample.objects.filter(resolution=ROLLUP).aggregate(last=Max("at"))["last"]
    if last is not None:
        start = last + timedelta(seconds=ROLLUP)
    else:
        first = MetricSample.objects.filter(resolution=RAW).aggregate(first=Min("at"))["first"]
        if first is None:
            return 0
        start = bucket_start(first, ROLLUP)
    end = min(end, start + ROLLUP_PASS)
    if start >= end:
        return 0
    grouped: dict[tuple[int, datetime], list[Rates]] = {}
    rows = MetricSample.objects.filter(resolution=RAW, at__gte=start, at__lt=end).values_list(
        "virtual_machine_id", "at", *METRICS
    )
    for vm_id, at, *values in rows.order_by():
        grouped.setdefault((vm_id, bucket_start(at, ROLLUP)), []).append(Rates(*values))
    rollups = [
        MetricSample(
            virtual_machine_id=vm_id,
            resolution=ROLLUP,
            at=at,
            **dict(zip(METRICS, average(rates).values(), strict=True)),
        )
        for (vm_id, at), rates in sorted(grouped.items())
    ]
    MetricSample.objects.bulk_create(rollups, ignore_conflicts=True)
    return len(rollups)


def metric_samples_prune(*, now: datetime) -> int:
    """Delete raw samples past their retention (once rolled up) and roll-ups past theirs; return how many went."""
    raw_before = min(now - timedelta(hours=settings.MONITOR_RAW_RETENTION_HOURS), rollup_cutoff(now))
    rollup_before = now - timedelta(days=settings.MONITOR_ROLLUP_RETENTION_DAYS)
    raw, _ = MetricSample.objects.filter(resolution=RAW, at__lt=raw_before).delete()
    rollups, _ = MetricSample.objects.filter(resolution=ROLLUP, at__lt=rollup_before).delete()
    return raw + rollups
