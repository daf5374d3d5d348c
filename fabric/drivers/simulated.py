"""The simulated host: the portal's embedded fabric, with no libvirt, behaving as a libvirt host does."""

from __future__ import annotations

import builtins
import logging
import threading
import time
from dataclasses import dataclass, field

from fabric.drivers.base import (
    VERBS,
    DomainEvent,
    DomainInfo,
    DomainSpec,
    DomainState,
    DomainStats,
    Driver,
    DriverError,
    EventCallback,
    EventKind,
    EventReason,
    already_defined_message,
    missing_image_message,
    not_defined_message,
    overlay_volume_name,
    seed_volume_name,
)

logger = logging.getLogger(__name__)

SIMULATED_POOL = "default"


@dataclass
class _Domain:
    spec: DomainSpec
    vcpus: int
    memory_mib: int
    state: DomainState = DomainState.STOPPED
    ignores_acpi: bool = False


@dataclass
class _Host:
    """One simulated host, shared by every driver that names it in this process."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    domains: dict[str, _Domain] = field(default_factory=dict)
    volumes: set[str] | None = None  # None: the host carries every image
    failures: dict[str, str] = field(default_factory=dict)  # operation -> message for its next call
    callbacks: builtins.list[tuple[int, EventCallback]] = field(default_factory=builtins.list)


_HOSTS: dict[str, _Host] = {}
_HOSTS_LOCK = threading.Lock()


def _host(name: str) -> _Host:
    with _HOSTS_LOCK:
        return _HOSTS.setdefault(name, _Host())


def forget_hosts() -> None:
    """Forget every simulated host of this process (for tests)."""
    with _HOSTS_LOCK:
        _HOSTS.clear()


class SimulatedDriver(Driver):
    """A host kept in this process's memory; each call takes `seconds` when told to, and fails when told to."""

    def __init__(self, host: str, *, seconds: float = 0.0, pool: str = SIMULATED_POOL) -> None:
        self.host = host
        self.seconds = seconds
        self.pool = pool
        self._host = _host(host)

    # What a test or the embedded fabric can tell the simulated host to do.

    def add_volume(self, volume: str) -> None:
        """Put a volume (an image) on the host; from then on the host carries only the volumes it was given."""
        with self._host.lock:
            if self._host.volumes is None:
                self._host.volumes = set()
            self._host.volumes.add(volume)

    def volumes(self) -> set[str]:
        """Return the names of the volumes on the host (empty while it carries every image)."""
        with self._host.lock:
            return set(self._host.volumes or ())

    def fail(self, operation: str, message: str = "") -> None:
        """Make the next call of `operation` (a method name, such as "start") fail."""
        if operation not in VERBS:
            raise ValueError(f"Unknown operation {operation!r}; choose from {', '.join(VERBS)}.")
        with self._host.lock:
            self._host.failures[operation] = message

    def ignore_acpi(self, name: str) -> None:
        """Make the guest ignore ACPI shutdown requests, as a hung guest does."""
        with self._host.lock:
            self._domain("shut_down", name).ignores_acpi = True

    def crash(self, name: str) -> None:
        """Kill the running machine's emulator, as a crash or `kill -9` does."""
        with self._host.lock:
            domain = self._domain("destroy", name)
            if domain.state != DomainState.RUNNING:
                return
            domain.state = DomainState.CRASHED
        self._emit(name, EventKind.STOPPED, EventReason.FAILED)

    # The Driver interface.

    def define(self, spec: DomainSpec) -> None:
        self._begin("define", spec.name)
        with self._host.lock:
            if spec.name in self._host.domains:
                raise DriverError(already_defined_message(self.host, spec.name))
            wanted = [spec.image.kernel, spec.image.initrd] if spec.image.is_direct_boot else [spec.image.volume]
            if self._host.volumes is not None:
                for volume in wanted:
                    if volume not in self._host.volumes:
                        raise DriverError(missing_image_message(self.host, spec.image.label, volume, self.pool))
                if not spec.image.is_direct_boot:
                    self._host.volumes |= {overlay_volume_name(spec.name), seed_volume_name(spec.name)}
            self._host.domains[spec.name] = _Domain(spec=spec, vcpus=spec.vcpus, memory_mib=spec.memory_mib)
        self._emit(spec.name, EventKind.DEFINED, EventReason.ADDED)

    def start(self, name: str) -> None:
        self._begin("start", name)
        with self._host.lock:
            domain = self._domain("start", name)
            if domain.state == DomainState.RUNNING:
                return
            domain.state = DomainState.RUNNING
        self._emit(name, EventKind.STARTED, EventReason.BOOTED)

    def shut_down(self, name: str, *, timeout: float) -> None:
        self._begin("shut_down", name)
        with self._host.lock:
            domain = self._domain("shut_down", name)
            if domain.state != DomainState.RUNNING:
                return
            ignores_acpi = domain.ignores_acpi
            if not ignores_acpi:
                domain.state = DomainState.STOPPED
        if not ignores_acpi:
            self._emit(name, EventKind.STOPPED, EventReason.SHUTDOWN)
            return
        time.sleep(timeout)
        self._stop(name, "shut_down")

    def destroy(self, name: str) -> None:
        self._begin("destroy", name)
        self._stop(name, "destroy")

    def undefine(self, name: str) -> None:
        self._begin("undefine", name)
        with self._host.lock:
            domain = self._host.domains.get(name)
            was_running = domain is not None and domain.state == DomainState.RUNNING
            self._host.domains.pop(name, None)
            if self._host.volumes is not None:
                self._host.volumes -= {overlay_volume_name(name), seed_volume_name(name)}
        if was_running:
            self._emit(name, EventKind.STOPPED, EventReason.DESTROYED)
        if domain is not None:
            self._emit(name, EventKind.UNDEFINED, EventReason.OTHER)

    def resize(self, name: str, *, vcpus: int, memory_mib: int) -> None:
        self._begin("resize", name)
        if vcpus < 1 or memory_mib < 1:
            raise DriverError(f"Host {self.host} could not resize {name}: it needs at least one CPU and some memory.")
        with self._host.lock:
            domain = self._domain("resize", name)
            domain.vcpus, domain.memory_mib = vcpus, memory_mib

    def state(self, name: str) -> DomainState:
        with self._host.lock:
            domain = self._host.domains.get(name)
            return DomainState.MISSING if domain is None else domain.state

    def addresses(self, name: str) -> builtins.list[str]:
        with self._host.lock:
            domain = self._host.domains.get(name)
            if domain is None or domain.state != DomainState.RUNNING or not domain.spec.address:
                return []
            return [domain.spec.address]

    def list(self) -> builtins.list[DomainInfo]:
        with self._host.lock:
            return [
                DomainInfo(name=name, state=domain.state, vcpus=domain.vcpus, memory_mib=domain.memory_mib)
                for name, domain in sorted(self._host.domains.items())
            ]

    def domain_stats(self) -> builtins.list[DomainStats]:
        # A simulated host keeps no counters: the monitor draws its own series for the machines it runs.
        with self._host.lock:
            return [
                DomainStats(name=name, state=domain.state, vcpus=domain.vcpus)
                for name, domain in sorted(self._host.domains.items())
            ]

    def events(self, callback: EventCallback) -> None:
        with self._host.lock:
            self._host.callbacks.append((id(self), callback))

    def close(self) -> None:
        with self._host.lock:
            self._host.callbacks = [(owner, cb) for owner, cb in self._host.callbacks if owner != id(self)]

    # The simulation's own workings.

    def _begin(self, operation: str, name: str) -> None:
        """Take the operation's time, then fail it if the host was told to."""
        if self.seconds:
            time.sleep(self.seconds)
        with self._host.lock:
            if operation not in self._host.failures:
                return
            message = self._host.failures.pop(operation)
        raise DriverError(
            message or f"Host {self.host} could not {VERBS[operation]} {name}: the simulated host was told to fail."
        )

    def _domain(self, operation: str, name: str) -> _Domain:
        domain = self._host.domains.get(name)
        if domain is None:
            raise DriverError(not_defined_message(self.host, VERBS[operation], name))
        return domain

    def _stop(self, name: str, operation: str) -> None:
        with self._host.lock:
            domain = self._domain(operation, name)
            if domain.state != DomainState.RUNNING:
                return
            domain.state = DomainState.STOPPED
        self._emit(name, EventKind.STOPPED, EventReason.DESTROYED)

    def _emit(self, name: str, kind: EventKind, reason: EventReason) -> None:
        with self._host.lock:
            callbacks = [callback for _, callback in self._host.callbacks]
        event = DomainEvent(kind=kind, reason=reason)
        for callback in callbacks:
            try:
                callback(name, event)
            except Exception:
                logger.exception("An event callback failed on host %s for %s", self.host, name)
