"""The monitor's arithmetic, pure (no ORM, no Django): simulated series, rates from counters, buckets and gaps."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from fabric.drivers.base import DomainState, DomainStats

METRICS = ("cpu_percent", "disk_read_bps", "disk_write_bps", "net_in_bps", "net_out_bps")

# A VM's status (vms.models.VirtualMachine.Status values) as the simulated series reads it: running statuses draw
# a load, stopped ones read 0, and the ones in between (starting, restarting, stopping...) leave a gap.
RUNNING_STATUSES = frozenset({"running", "updating"})
STOPPED_STATUSES = frozenset({"stopped", "fabric_failure"})


@dataclass(frozen=True)
class Rates:
    """A VM's average rates over an interval."""

    cpu_percent: float
    disk_read_bps: float
    disk_write_bps: float
    net_in_bps: float
    net_out_bps: float

    def values(self) -> tuple[float, ...]:
        return tuple(getattr(self, field.name) for field in fields(self))


ZERO = Rates(0.0, 0.0, 0.0, 0.0, 0.0)


def _noise(vm_id: int, slot: int, salt: str) -> float:
    """Return a repeatable number in [0, 1) for the VM at one moment."""
    digest = hashlib.blake2b(f"{vm_id}:{slot}:{salt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64


def simulated_rates(*, vm_id: int, status: str, at: datetime) -> Rates | None:
    """Return the simulated VM's rates at `at`: a steady daily load with jitter, 0 when stopped, None between."""
    if status in STOPPED_STATUSES:
        return ZERO
    if status not in RUNNING_STATUSES:
        return None
    seconds = at.timestamp()
    slot = int(seconds // 10)
    base = 6 + (vm_id * 37) % 25  # each VM has a load of its own
    wave = 12 * (1 + math.sin(2 * math.pi * seconds / 3600 + vm_id))  # an hourly swell
    cpu = min(100.0, base + wave + 10 * _noise(vm_id, slot, "cpu"))
    busy = cpu / 100
    return Rates(
        cpu_percent=round(cpu, 2),
        disk_read_bps=round((40_000 + 900_000 * busy) * (0.5 + _noise(vm_id, slot, "read")), 1),
        disk_write_bps=round((20_000 + 400_000 * busy) * (0.5 + _noise(vm_id, slot, "write")), 1),
        net_in_bps=round((8_000 + 300_000 * busy) * (0.5 + _noise(vm_id, slot, "in")), 1),
        net_out_bps=round((12_000 + 600_000 * busy) * (0.5 + _noise(vm_id, slot, "out")), 1),
    )


def rates_between(previous: DomainStats, current: DomainStats, seconds: float) -> Rates | None:
    """Return the rates between two readings of one domain's counters; None when they cannot be compared.

    A stopped domain reads 0. Counters that went backwards mean the machine started again in between: no rate.
    """
    if current.state != DomainState.RUNNING:
        return ZERO
    if previous.state != DomainState.RUNNING or seconds <= 0:
        return None
    deltas = (
        current.cpu_time_ns - previous.cpu_time_ns,
        current.disk_read_bytes - previous.disk_read_bytes,
        current.disk_write_bytes - previous.disk_write_bytes,
        current.net_in_bytes - previous.net_in_bytes,
        current.net_out_bytes - previous.net_out_bytes,
    )
    if any(delta < 0 for delta in deltas):
        return None
    cpu = 100 * deltas[0] / (seconds * 1e9 * max(1, current.vcpus))
    return Rates(round(min(100.0, cpu), 2), *(round(delta / seconds, 1) for delta in deltas[1:]))


def average(rates: Sequence[Rates]) -> Rates:
    """Return the mean of some rates (at least one)."""
    count = len(rates)
    return Rates(*(round(sum(values) / count, 2) for values in zip(*(r.values() for r in rates), strict=True)))


def bucket_start(at: datetime, seconds: int) -> datetime:
    """Return the start of the `seconds`-long bucket holding `at` (buckets are aligned to the epoch)."""
    epoch = at.timestamp()
    return at - timedelta(seconds=epoch % seconds)


Point = tuple[datetime, Rates | None]


def bucketed(points: Iterable[tuple[datetime, Rates]], *, start: datetime, end: datetime, seconds: int) -> list[Point]:
    """Average points into buckets from start to end, every bucket present; an empty bucket is a gap (None)."""
    grouped: dict[datetime, list[Rates]] = {}
    for at, rates in points:
        grouped.setdefault(bucket_start(at, seconds), []).append(rates)
    result: list[Point] = []
    at = bucket_start(start, seconds)
    while at < end:
        found = grouped.get(at)
        result.append((at, average(found) if found else None))
        at += timedelta(seconds=seconds)
    return result


def with_gaps(points: Iterable[tuple[datetime, Rates]], *, gap_seconds: float) -> list[Point]:
    """Put a gap (None) between two samples further apart than gap_seconds, so a chart breaks its line there."""
    result: list[Point] = []
    previous: datetime | None = None
    for at, rates in points:
        if previous is not None and (at - previous).total_seconds() > gap_seconds:
            result.append((previous + (at - previous) / 2, None))
        result.append((at, rates))
        previous = at
    return result
