"""One sampling round: every VM's rates, read from its host (libvirt) or drawn (the simulated fabric).

A libvirt host is asked once per round for all its domains (``Driver.domain_stats``, libvirt's getAllDomainStats,
through the process's driver of the host, ``fabric.connections.host_driver``); the rates come from the difference
with the counters this worker read the round before, kept in memory. A domain's first reading in this process, or a
restart in between (counters that went backwards), leaves a gap.

VMs with no placement, or placed on a simulated host, follow the simulated series (``monitor.series``).
Every host is sampled: nothing grants host leases yet, and the periodic schedule already runs one round at a time.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from fabric.connections import drivers_close, host_driver
from fabric.drivers.base import DomainState, DomainStats, DriverError
from fabric.models import SIMULATED_URI, Host
from monitor.series import ZERO, Rates, rates_between, simulated_rates
from monitor.services import metric_samples_record
from vms.models import VirtualMachine

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_counters: dict[tuple[int, str], tuple[datetime, DomainStats]] = {}  # (host id, domain) -> the last reading


def forget_readings() -> None:
    """Forget the counters this process keeps and close its hosts' drivers (for tests, and a worker's shutdown)."""
    with _lock:
        _counters.clear()
    drivers_close()


def _host_rates(host: Host, domains: dict[str, int], now: datetime) -> list[tuple[int, Rates]]:
    """Read one libvirt host's counters in one call and return the rates of the VMs placed there."""
    try:
        stats = host_driver(host).domain_stats()
    except DriverError as error:
        logger.warning("No metrics from host %s this round: %s", host.name, error)
        return []
    samples = []
    for stat in stats:
        vm_id = domains.get(stat.name)
        if vm_id is None:
            continue  # a domain the portal does not place here
        with _lock:
            previous = _counters.get((host.pk, stat.name))
            _counters[(host.pk, stat.name)] = (now, stat)
        if stat.state != DomainState.RUNNING:
            samples.append((vm_id, ZERO))
        elif previous is not None:
            rates = rates_between(previous[1], stat, (now - previous[0]).total_seconds())
            if rates is not None:
                samples.append((vm_id, rates))
    return samples


def monitor_sample_round(*, now: datetime) -> int:
    """Sample every VM once at `now` and store the samples in one insert; return how many were stored."""
    machines = VirtualMachine.objects.values_list(
        "pk", "status", "placement__host_id", "placement__domain_name"
    ).order_by()
    hosts = {host.pk: host for host in Host.objects.exclude(uri=SIMULATED_URI)}
    samples: list[tuple[int, Rates]] = []
    on_hosts: dict[int, dict[str, int]] = {}
    for vm_id, status, host_id, domain_name in machines:
        if host_id in hosts:
            on_hosts.setdefault(host_id, {})[domain_name] = vm_id
            continue
        rates = simulated_rates(vm_id=vm_id, status=status, at=now)
        if rates is not None:
            samples.append((vm_id, rates))
    for host_id, domains in on_hosts.items():
        samples.extend(_host_rates(hosts[host_id], domains, now))
    return metric_samples_record(at=now, samples=samples)
