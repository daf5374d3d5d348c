"""Tags that put the monitor's CPU sparklines on other apps' pages without those apps importing the monitor."""

from __future__ import annotations

from django import template
from django.conf import settings

register = template.Library()

# The sparklines refresh no faster than this, whatever the sampling interval.
MIN_REFRESH_SECONDS = 5


@register.inclusion_tag("monitor/includes/cpu_sparkline_slot.html")
def cpu_sparkline(vm_id: int) -> dict:
    """Leave a slot for a VM's CPU sparkline; cpu_sparklines_loader fills every slot of the page."""
    return {"vm_id": vm_id}


@register.inclusion_tag("monitor/includes/cpu_sparklines_loader.html")
def cpu_sparklines_loader() -> dict:
    """Load the sparklines of every slot on the page in one request, again after each sampling interval."""
    return {"refresh_seconds": max(MIN_REFRESH_SECONDS, int(settings.MONITOR_SAMPLE_SECONDS))}
