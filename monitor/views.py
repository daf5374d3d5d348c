"""The CPU sparklines other pages load: one request per page fills every member's slot (out-of-band swaps)."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from monitor.charts import sparkline_path
from monitor.selectors import cpu_sparklines as cpu_sparkline_series
from monitor.selectors import gap_seconds
from portal.htmx import HtmxHttpRequest, subscription_or_404

MAX_MACHINES = 200


@require_safe
def cpu_sparklines(request: HtmxHttpRequest) -> HttpResponse:
    """Draw the last hour's CPU of the VMs named (?vm=1&vm=2), each into its slot on the page."""
    subscription = subscription_or_404(request)
    vm_ids = [value for value in request.GET.getlist("vm")[:MAX_MACHINES] if value.isdigit()]
    now = timezone.now()
    start = now - timedelta(hours=1)
    series = cpu_sparkline_series(vm_ids, subscription_id=subscription.pk, now=now)
    sparklines = [
        {
            "vm_id": vm_id,
            "path": sparkline_path(values, start=start, end=now, gap_seconds=gap_seconds()),
            "latest": values[-1][1] if values else None,
        }
        for vm_id, values in sorted(series.items())
    ]
    return render(request, "monitor/cpu_sparklines.html", {"sparklines": sparklines})
