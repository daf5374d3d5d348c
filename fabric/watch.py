"""What the hosts report: each worker watches the hosts it holds a lease on, through events and a re-list on connect.

A worker process keeps one :class:`HostWatcher`; the worker's schedule runs its :meth:`HostWatcher.watch` every second
(fabric/periodic.py). Each round renews the worker's leases and takes over those whose heartbeat lapsed, so every
libvirt host is driven by exactly one worker and none is orphaned when a worker dies; it connects to newly held or
disconnected hosts and re-lists their domains (events missed while away are gone), and handles the lifecycle events
queued since the last round. A machine that stopped by itself while it should run gets a fabric failure in the
activity log and service healing starts it again; the machines of a host that cannot be reached are shown stopped by
a fabric failure until the host is back. The database work of a round does not grow with the number of domains.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fabric.connections import new_driver
from fabric.drivers.base import DomainEvent, DomainInfo, DomainState, Driver, DriverError, EventKind
from fabric.models import SIMULATED_URI, Host, HostLease, Placement
from fabric.operations import OBSERVED
from vms.models import Operation, VirtualMachine
from vms.services.operations import operation_begin

logger = logging.getLogger(__name__)

UP_STATES = {DomainState.RUNNING, DomainState.PAUSED, DomainState.SHUTTING_DOWN, DomainState.SUSPENDED}


def worker_identity() -> str:
    """Name this worker process uniquely: machine, process and a random part (a reused pid is another worker)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class HostWatcher:
    """Hold leases on libvirt hosts, keep a connection to each with its events, and record what they report."""

    def __init__(self, worker_id: str, *, driver_factory: Callable[[Host], Driver] = new_driver) -> None:
        self.worker_id = worker_id
        self.driver_factory = driver_factory
        self.drivers: dict[int, Driver] = {}
        self.reconciled: set[int] = set()  # connected hosts whose domains were listed since they (re)connected
        self._events: deque[tuple[int, str, DomainEvent]] = deque()
        self._closed: deque[int] = deque()
        self._lock = threading.Lock()

    # One round.

    def watch(self, *, now: datetime | None = None) -> set[int]:
        """Renew and take leases, (re)connect and reconcile, handle queued events; return the ids of the hosts held."""
        now = now or timezone.now()
        held = self._leases(now)
        for host_id in list(self.drivers):
            if host_id not in held:
                self._let_go(host_id)
        while self._closed:
            self.reconciled.discard(self._closed.popleft())
        listed: dict[int, list[DomainInfo]] = {}
        unreachable: list[Host] = []
        for host in held.values():
            if host.pk in self.reconciled:
                continue
            try:
                driver = self._driver(host)
                listed[host.pk] = driver.list()
            except DriverError as error:
                logger.warning("Host %s is unreachable: %s", host.name, error)
                unreachable.append(host)
        if listed:
            self._reconcile({host_id: held[host_id] for host_id in listed}, listed, now)
            self.reconciled |= set(listed)
        if unreachable:
            self._unreachable(unreachable, now)
        self._handle_events(held, now)
        reachable = [host_id for host_id in held if host_id in self.reconciled]
        if reachable:
            Host.objects.filter(pk__in=reachable).update(last_seen=now)
        return set(held)

    def close(self) -> None:
        """Let go of every connection (the leases lapse by themselves, for another worker to take)."""
        for host_id in list(self.drivers):
            self._let_go(host_id)

    # Leases.

    def _leases(self, now: datetime) -> dict[int, Host]:
        """Renew this worker's leases and take every lapsed or missing one; return the hosts held, by id."""
        hosts = list(Host.objects.exclude(uri=SIMULATED_URI).select_related("lease"))
        missing = [host for host in hosts if not hasattr(host, "lease")]
        if missing:
            HostLease.objects.bulk_create(
                [HostLease(host=host, worker_id="", heartbeat_at=now - timedelta(days=1)) for host in missing],
                ignore_conflicts=True,
            )
        lapsed = now - timedelta(seconds=settings.FABRIC_LEASE_SECONDS)
        # One conditional update renews and takes over: a row another worker renewed meanwhile no longer matches.
        HostLease.objects.filter(Q(worker_id=self.worker_id) | Q(heartbeat_at__lt=lapsed)).update(
            worker_id=self.worker_id, heartbeat_at=now
        )
        held = set(HostLease.objects.filter(worker_id=self.worker_id).values_list("host_id", flat=True))
        return {host.pk: host for host in hosts if host.pk in held}

    # Connections.

    def _driver(self, host: Host) -> Driver:
        driver = self.drivers.get(host.pk)
        if driver is None:
            driver = self.driver_factory(host)
            if hasattr(driver, "on_close"):
                driver.on_close = lambda _name, _reason, host_id=host.pk: self._closed.append(host_id)
            driver.events(lambda name, event, host_id=host.pk: self._events.append((host_id, name, event)))
            self.drivers[host.pk] = driver
        return driver

    def _let_go(self, host_id: int) -> None:
        driver = self.drivers.pop(host_id, None)
        self.reconciled.discard(host_id)
        if driver is not None:
            try:
                driver.close()
            except DriverError:
                logger.debug("A host's driver did not close cleanly", exc_info=True)

    # What the hosts report.

    def _reconcile(self, hosts: dict[int, Host], listed: dict[int, list[DomainInfo]], now: datetime) -> None:
        """Record every placed machine's state on the hosts just (re)connected, and act on the ones found down."""
        back = [host.pk for host in hosts.values() if host.state == Host.State.UNREACHABLE]
        if back:
            Host.objects.filter(pk__in=back, state=Host.State.UNREACHABLE).update(state=Host.State.AVAILABLE)
            for host_id in back:
                logger.info("Host %s is reachable again", hosts[host_id].name)
        states = {(host_id, info.name): info.state for host_id, infos in listed.items() for info in infos}
        placements = list(Placement.objects.filter(host_id__in=hosts).select_related("virtual_machine"))
        by_state: dict[str, list[int]] = {}
        for placement in placements:
            placement.observed_state = states.get((placement.host_id, placement.domain_name), DomainState.MISSING)
            by_state.setdefault(placement.observed_state, []).append(placement.pk)
        # One update per state seen (a handful), however many machines the hosts run.
        for state, ids in by_state.items():
            Placement.objects.filter(pk__in=ids).update(observed_state=state, observed_at=now)
        down = [placement for placement in placements if placement.observed_state not in UP_STATES]
        self._fabric_failures(down, hosts, reason="was found stopped when its host was listed")

    def _unreachable(self, hosts: Iterable[Host], now: datetime) -> None:
        """Show the machines of hosts that cannot be reached as stopped by a fabric failure, until they are back."""
        newly = [host for host in hosts if host.state != Host.State.UNREACHABLE]
        if not newly:
            return
        Host.objects.filter(pk__in=[host.pk for host in newly]).update(state=Host.State.UNREACHABLE)
        for host in newly:
            host.state = Host.State.UNREACHABLE
        placements = list(Placement.objects.filter(host__in=newly).select_related("virtual_machine"))
        Placement.objects.filter(host__in=newly).update(observed_state=DomainState.UNKNOWN.value, observed_at=now)
        self._fabric_failures(
            placements, {host.pk: host for host in newly}, reason="is down: its host cannot be reached"
        )

    def _handle_events(self, held: dict[int, Host], now: datetime) -> None:
        """Record the lifecycle events queued since the last round; a machine that stopped is checked and healed."""
        stopped: dict[tuple[int, str], DomainEvent] = {}
        seen: dict[tuple[int, str], DomainState] = {}
        while self._events:
            host_id, name, event = self._events.popleft()
            if host_id not in held:
                continue  # another worker holds this host now; it re-lists it
            if event.kind in (EventKind.STOPPED, EventKind.CRASHED):
                stopped[(host_id, name)] = event
                seen[(host_id, name)] = DomainState.STOPPED
            elif event.kind in (EventKind.STARTED, EventKind.RESUMED):
                stopped.pop((host_id, name), None)
                seen[(host_id, name)] = DomainState.RUNNING
        if not seen:
            return
        names = Q()
        for host_id, name in seen:
            names |= Q(host_id=host_id, domain_name=name)
        placements = list(Placement.objects.filter(names).select_related("virtual_machine"))
        down = []
        for placement in placements:
            key = (placement.host_id, placement.domain_name)
            state = seen[key]
            if key in stopped:
                # The machine may have been started again since the event: ask the host what it is now.
                try:
                    state = self.drivers[placement.host_id].state(placement.domain_name)
                except (DriverError, KeyError):
                    state = DomainState.UNKNOWN
                if state not in UP_STATES:
                    down.append(placement)
            placement.observed_state = state.value
            placement.observed_at = now
        Placement.objects.bulk_update(placements, ["observed_state", "observed_at"])
        by_reason: dict[str, list[Placement]] = {}
        for placement in down:
            reason = stopped[(placement.host_id, placement.domain_name)].reason.value
            by_reason.setdefault(reason, []).append(placement)
        for reason, placements_down in by_reason.items():
            self._fabric_failures(placements_down, held, reason=f"stopped by itself ({reason})")

    def _fabric_failures(self, placements: list[Placement], hosts: dict[int, Host], *, reason: str) -> None:
        """Record a fabric failure for each machine that should run and nothing else is doing; healing restarts it."""
        should_run = [p for p in placements if p.virtual_machine.status == VirtualMachine.Status.RUNNING]
        if not should_run:
            return
        busy = set(
            Operation.objects.filter(
                virtual_machine__in=[p.virtual_machine_id for p in should_run], status=Operation.Status.IN_PROGRESS
            ).values_list("virtual_machine_id", flat=True)
        )
        for placement in should_run:
            if placement.virtual_machine_id in busy:
                continue
            host = hosts[placement.host_id]
            with transaction.atomic():
                vm = VirtualMachine.objects.select_for_update().filter(pk=placement.virtual_machine_id).first()
                if vm is None or vm.status != VirtualMachine.Status.RUNNING:
                    continue
                if Operation.objects.filter(virtual_machine=vm, status=Operation.Status.IN_PROGRESS).exists():
                    continue
                operation_begin(
                    vm=vm,
                    kind=Operation.Kind.FABRIC_FAILURE,
                    title=f"Fabric failure: {vm.name} {reason} on host {host.name}; service healing starts it again",
                    user=None,
                    details={OBSERVED: True, "failure_seconds": 0, "host": host.name},
                )


_watcher: HostWatcher | None = None
_watcher_lock = threading.Lock()


def process_watcher() -> HostWatcher:
    """Return this worker process's watcher, made on first use."""
    global _watcher
    with _watcher_lock:
        if _watcher is None:
            _watcher = HostWatcher(worker_identity())
        return _watcher
