"""The monitor's reads: a VM's series over a span, and many VMs' CPU of the last hour; each one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from monitor.models import MetricSample
from monitor.series import METRICS, Point, Rates, average, bucket_start, bucketed, with_gaps

RAW = MetricSample.Resolution.RAW
ROLLUP = MetricSample.Resolution.FIVE_MINUTES

# The intervals a series can be read at: seconds per point, None for the raw samples.
INTERVALS: dict[str, int | None] = {"raw": None, "5m": 300, "1h": 3600}


@dataclass(frozen=True)
class Span:
    """A range the Monitor tab offers."""

    key: str
    label: str
    length: timedelta
    interval: str


SPANS = {
    span.key: span
    for span in (
        Span("1h", "1 hour", timedelta(hours=1), "raw"),
        Span("24h", "24 hours", timedelta(hours=24), "5m"),
        Span("7d", "7 days", timedelta(days=7), "1h"),
    )
}
DEFAULT_SPAN = "1h"


def interval_for(start: datetime, end: datetime) -> str:
    """Pick the interval that suits a span: raw samples up to 6 hours, 5 minutes up to 3 days, hours beyond."""
    length = end - start
    if length <= timedelta(hours=6):
        return "raw"
    return "5m" if length <= timedelta(days=3) else "1h"


def gap_seconds() -> float:
    """Return how far apart two raw samples may be before the chart shows a gap between them."""
    return 2.5 * settings.MONITOR_SAMPLE_SECONDS


def virtual_machine_series(vm_id: int, *, start: datetime, end: datetime, interval: str) -> list[Point]:
    """Return the VM's rates from start to end at the interval (raw, 5m, 1h), gaps as None, in one query.

    Bucketed intervals read the 5-minute roll-ups, and the raw samples of the minutes not rolled up yet.
    """
    step = INTERVALS[interval]
    rows = MetricSample.objects.filter(virtual_machine_id=vm_id, at__gte=bucket_start(start, step or 1), at__lt=end)
    if step is None:
        rows = rows.filter(resolution=RAW)
    else:
        recent = end - timedelta(minutes=15)
        rows = rows.filter(Q(resolution=ROLLUP) | Q(resolution=RAW, at__gte=bucket_start(recent, ROLLUP)))
    rows = rows.order_by("at").values_list("resolution", "at", *METRICS)
    if step is None:
        return with_gaps(((at, Rates(*values)) for _res, at, *values in rows), gap_seconds=gap_seconds())
    return bucketed(_five_minute_points(rows), start=start, end=end, seconds=step)


def _five_minute_points(rows: Iterable[tuple]) -> list[tuple[datetime, Rates]]:
    """Return one point per 5-minute bucket: its roll-up, or the mean of its raw samples when it has none yet."""
    rolled: dict[datetime, Rates] = {}
    raw: dict[datetime, list[Rates]] = {}
    for resolution, at, *values in rows:
        if resolution == ROLLUP:
            rolled[at] = Rates(*values)
        else:
            raw.setdefault(bucket_start(at, ROLLUP), []).append(Rates(*values))
    points = dict(rolled)
    for at, rates in raw.items():
        points.setdefault(at, average(rates))
    return sorted(points.items())


def cpu_sparklines(vm_ids: Iterable[int], *, subscription_id: int, now: datetime) -> dict[int, list[tuple]]:
    """Return the CPU percentage of the last hour of each of the subscription's VMs named, in one query."""
    wanted = {int(vm_id) for vm_id in vm_ids}
    series: dict[int, list[tuple]] = {vm_id: [] for vm_id in wanted}
    rows = MetricSample.objects.filter(
        virtual_machine_id__in=wanted,
        virtual_machine__subscription_id=subscription_id,
        resolution=RAW,
        at__gte=now - timedelta(hours=1),
    ).order_by("virtual_machine_id", "at")
    for vm_id, at, cpu in rows.values_list("virtual_machine_id", "at", "cpu_percent"):
        series[vm_id].append((at, cpu))
    return series
