"""A virtual machine's metrics: CPU, disk and network rates over a span, one query whatever the span."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from api import schemas
from api.errors import Refusal, api_error_from_refusals
from api.v1.common import errors, id_path
from api.v1.machines import machine_or_404
from monitor.selectors import interval_for, virtual_machine_series
from monitor.series import METRICS

router = Router(tags=["Virtual machines"])

DEFAULT_SPAN = timedelta(hours=1)


class MetricQuery(Schema):
    name: Literal["cpu_percent", "disk_read_bps", "disk_write_bps", "net_in_bps", "net_out_bps"] | None = Field(
        None, description="One metric; all of them when left out."
    )
    start: datetime | None = Field(None, alias="from", description="The span's start; an hour before `to` by default.")
    end: datetime | None = Field(None, alias="to", description="The span's end; now by default.")
    interval: Literal["raw", "5m", "1h"] | None = Field(
        None, description="raw samples, or 5-minute or hourly averages; picked from the span when left out."
    )


def _refuse(field: str, message: str):
    return api_error_from_refusals([Refusal(field, "invalid", message)])


@router.get(
    "/virtual-machines/{vm_id}/metrics",
    response={200: schemas.MetricSeries, **errors()},
    url_name="metrics",
    by_alias=True,
)
def virtual_machine_metrics(request: HttpRequest, query: Query[MetricQuery], vm_id: int = id_path()):
    """Read the VM's CPU percentage, disk read and write and network in and out (bytes/s) over a span."""
    vm = machine_or_404(request, vm_id)
    end = query.end or timezone.now()
    start = query.start or end - DEFAULT_SPAN
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise _refuse("from", "Give times with their offset, such as 2025-01-01T12:00:00Z.")
    if start >= end:
        raise _refuse("from", "The span's start must come before its end.")
    if end - start > timedelta(days=settings.MONITOR_ROLLUP_RETENTION_DAYS):
        raise _refuse("from", f"A span covers at most {settings.MONITOR_ROLLUP_RETENTION_DAYS} days.")
    interval = query.interval or interval_for(start, end)
    if interval == "raw" and end - start > timedelta(hours=settings.MONITOR_RAW_RETENTION_HOURS):
        raise _refuse(
            "interval", f"Raw samples cover at most {settings.MONITOR_RAW_RETENTION_HOURS} hours: choose 5m or 1h."
        )
    points = virtual_machine_series(vm.pk, start=start, end=end, interval=interval)
    names = (query.name,) if query.name else METRICS
    body = {
        "virtual_machine": vm.pk,
        "from": start,
        "to": end,
        "interval": interval,
        "times": [at for at, _rates in points],
        "metrics": {name: [None if rates is None else getattr(rates, name) for _at, rates in points] for name in names},
    }
    return body
