"""The monitor's jobs in the worker's schedule: a sampling round, and the roll-ups with retention."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from monitor.sampling import monitor_sample_round
from monitor.services import metric_samples_prune, metric_samples_roll_up
from portal.periodic import periodic

ROLLUP_SECONDS = 60


@periodic(name="monitor.sample", seconds=lambda: settings.MONITOR_SAMPLE_SECONDS)
def sample_virtual_machines() -> int:
    """Sample every VM's CPU, disk and network rates."""
    return monitor_sample_round(now=timezone.now())


@periodic(name="monitor.roll_up", seconds=ROLLUP_SECONDS)
def roll_up_samples() -> int:
    """Roll the closed 5-minute buckets up and drop what is past its retention."""
    now = timezone.now()
    return metric_samples_roll_up(now=now) + metric_samples_prune(now=now)
