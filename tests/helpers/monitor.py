"""Test helpers for the monitor: a VM's samples recorded over the last minutes."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from monitor.series import Rates
from monitor.services import metric_samples_record
from vms.models import VirtualMachine


def record_minutes(vm: VirtualMachine, minutes: int, cpu: float = 42.0) -> None:
    """Record a sample of the VM for each of the last `minutes` minutes, at `cpu` percent."""
    now = timezone.now()
    for minute in range(minutes):
        metric_samples_record(at=now - timedelta(minutes=minute + 1), samples=[(vm.pk, Rates(cpu, 1, 2, 3, 4))])
