"""The libvirt host: one connection per host, lifecycle events from one process-wide event loop."""

from __future__ import annotations

import builtins
import importlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

from defusedxml import ElementTree

from fabric.cloud_init import build_seed_iso
from fabric.domain_xml import BootFiles, render_domain_xml, render_overlay_volume_xml, render_seed_volume_xml
from fabric.drivers.base import (
    METADATA_NAMESPACE,
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

SHUTDOWN_POLL_SECONDS = 0.1
UPLOAD_CHUNK_BYTES = 256 * 1024

_event_loop_lock = threading.Lock()
_event_loop_started = False


def load_libvirt() -> ModuleType:
    """Import libvirt-python, which the portal needs only for libvirt hosts."""
    try:
        module = importlib.import_module("libvirt")
    except ImportError:
        raise DriverError(
            "This portal cannot drive libvirt hosts: libvirt-python is not installed (see requirements-fabric.txt)."
        ) from None
    module.registerErrorHandler(lambda _context, _error: None, None)  # errors become DriverError, not stderr lines
    return module


def start_event_loop(libvirt: ModuleType) -> None:
    """Register libvirt's default event loop and run it in one daemon thread; once per process, before connecting."""
    global _event_loop_started
    with _event_loop_lock:
        if _event_loop_started:
            return
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        _event_loop_started = True


def preferred_domain_type(offered: builtins.list[str], *, kvm_usable: bool) -> str:
    """Return kvm when offered and usable, else qemu (software emulation) when offered, else the first offered."""
    for preferred in ("kvm", "qemu"):
        if preferred in offered and (preferred != "kvm" or kvm_usable):
            return preferred
    return next((domain_type for domain_type in offered if domain_type != "kvm"), "qemu")


def uri_is_local(uri: str) -> bool:
    """True when the URI names a hypervisor on this machine (no host part: `qemu:///system`, `qemu+unix:///...`)."""
    return not urlsplit(uri).hostname


def cpu_virtualizes(cpuinfo: str | Path = "/proc/cpuinfo") -> bool:
    """True when this machine's CPU has hardware virtualization (vmx or svm); libvirt offers kvm whenever /dev/kvm
    exists, but without them a kvm guest never runs."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return False
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags" and {"vmx", "svm"} & set(value.split()):
            return True
    return False


class LibvirtDriver(Driver):
    """Drive the domains of one libvirt host (`qemu+ssh://`, `qemu+tcp://`, `qemu:///system`, `test:///default`)."""

    def __init__(
        self,
        uri: str,
        *,
        host: str = "",
        pool: str = "default",
        domain_type: str = "",
        keepalive: tuple[int, int] = (5, 3),
        on_close: Callable[[str, str], None] | None = None,
        upload: Callable[[Any, bytes], None] | None = None,
    ) -> None:
        """Open the connection to the host at `uri`.

        `upload(volume, data)` writes a machine's seed into its new volume; by default through a libvirt stream.
        Only a host that cannot take uploads needs another (test:///default: its tests record what was written).
        """
        self.uri = uri
        self.host = host or urlsplit(uri).hostname or uri
        self.pool = pool
        self.keepalive = keepalive
        self.on_close = on_close
        self.upload = upload or self.stream_upload
        self._libvirt = load_libvirt()
        start_event_loop(self._libvirt)
        self._lock = threading.RLock()
        self._conn: Any = None
        self._event_id: int | None = None
        self._callbacks: builtins.list[EventCallback] = []
        self._managed: set[str] = set()
        self._closed = False
        self._connect()
        self.domain_type = domain_type or self._default_domain_type()

    # The connection.

    def _connect(self) -> Any:
        libvirt = self._libvirt
        try:
            conn = libvirt.open(self.uri)
        except libvirt.libvirtError as error:
            raise DriverError(f"Host {self.host} cannot be reached: {_sentence(error)}") from None
        try:
            conn.setKeepAlive(*self.keepalive)
        except libvirt.libvirtError as error:
            if error.get_error_code() != libvirt.VIR_ERR_NO_SUPPORT:  # local drivers have no keepalive
                conn.close()
                raise DriverError(f"Host {self.host} cannot be reached: {_sentence(error)}") from None
        try:
            conn.registerCloseCallback(self._on_connection_closed, None)
        except libvirt.libvirtError as error:
            if error.get_error_code() != libvirt.VIR_ERR_NO_SUPPORT:
                raise
        self._conn = conn
        if self._callbacks:
            self._register_events()
        return conn

    def connection(self) -> Any:
        """Return the open libvirt connection (a virConnect), opening it again if the host went away.

        For what the Driver interface does not cover, such as creating a test host's image volumes.
        """
        with self._lock:
            if self._closed:
                raise DriverError(f"The connection to host {self.host} has been closed.")
            if self._conn is None:
                self._connect()
            return self._conn

    def _on_connection_closed(self, conn: Any, reason: int, _opaque: object) -> None:
        """Forget a connection the host closed (libvirtd gone, keepalive lost); the next call reconnects."""
        reasons = {0: "an error", 1: "end of file", 2: "keepalive timeout", 3: "the client"}
        with self._lock:
            if self._conn is conn:
                self._conn = None
                self._event_id = None
        logger.warning("The connection to host %s closed: %s", self.host, reasons.get(reason, "unknown"))
        if self.on_close is not None:
            self.on_close(self.host, reasons.get(reason, "unknown"))

    def _default_domain_type(self) -> str:
        """Pick the best domain type the host offers for hvm guests (x86_64 first); kvm only where it can run."""
        capabilities = ElementTree.fromstring(self.connection().getCapabilities())
        offered = [
            (arch.get("name") != "x86_64", domain.get("type", ""))
            for guest in capabilities.iter("guest")
            if guest.findtext("os_type") == "hvm"
            for arch in guest.iter("arch")
            for domain in arch.iter("domain")
        ]
        types = [domain_type for _, domain_type in sorted(offered, key=lambda pair: pair[0])]
        kvm_usable = cpu_virtualizes() if uri_is_local(self.uri) else True
        return preferred_domain_type(types, kvm_usable=kvm_usable)

    @contextmanager
    def _translated(self, operation: str, name: str) -> Iterator[None]:
        """Turn a libvirt error into a DriverError that names the host, the operation and the machine."""
        libvirt = self._libvirt
        try:
            yield
        except libvirt.libvirtError as error:
            if error.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                raise DriverError(not_defined_message(self.host, VERBS[operation], name)) from None
            raise DriverError(f"Host {self.host} could not {VERBS[operation]} {name}: {_sentence(error)}") from None

    def _lookup(self, operation: str, name: str) -> Any:
        """Return the portal's domain by name; a domain the portal does not manage is an error."""
        domain = self.connection().lookupByName(name)
        if not self._is_managed(domain):
            raise DriverError(
                f"Host {self.host} could not {VERBS[operation]} {name}: the portal does not manage this machine."
            )
        return domain

    def _is_managed(self, domain: Any) -> bool:
        libvirt = self._libvirt
        try:
            domain.metadata(libvirt.VIR_DOMAIN_METADATA_ELEMENT, METADATA_NAMESPACE)
        except libvirt.libvirtError as error:
            if error.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN_METADATA:
                return False
            raise
        with self._lock:
            self._managed.add(domain.name())
        return True

    def _storage_pool(self, operation: str, name: str) -> Any:
        libvirt = self._libvirt
        try:
            pool = self.connection().storagePoolLookupByName(self.pool)
        except libvirt.libvirtError:
            raise DriverError(
                f"Host {self.host} could not {VERBS[operation]} {name}: it has no storage pool {self.pool}."
            ) from None
        try:
            pool.refresh(0)  # images copied into the pool's directory by hand become volumes
        except libvirt.libvirtError:
            logger.debug("Host %s could not refresh storage pool %s", self.host, self.pool)
        return pool

    def _volume(self, pool: Any, name: str) -> Any | None:
        libvirt = self._libvirt
        try:
            return pool.storageVolLookupByName(name)
        except libvirt.libvirtError as error:
            if error.get_error_code() == libvirt.VIR_ERR_NO_STORAGE_VOL:
                return None
            raise

    def _image_volume(self, pool: Any, spec: DomainSpec, volume_name: str) -> Any:
        volume = self._volume(pool, volume_name)
        if volume is None:
            raise DriverError(missing_image_message(self.host, spec.image.label, volume_name, self.pool))
        return volume

    def stream_upload(self, volume: Any, data: bytes) -> None:
        """Write bytes into a volume through a libvirt stream (the default `upload`)."""
        stream = self.connection().newStream(0)
        try:
            volume.upload(stream, 0, len(data), 0)
            for offset in range(0, len(data), UPLOAD_CHUNK_BYTES):
                chunk = data[offset : offset + UPLOAD_CHUNK_BYTES]
                while chunk:
                    sent = stream.send(chunk)
                    chunk = chunk[sent:]
            stream.finish()
        except BaseException:
            try:
                stream.abort()
            except self._libvirt.libvirtError:
                logger.debug("Host %s could not abort an upload stream", self.host)
            raise

    # The Driver interface.

    def define(self, spec: DomainSpec) -> None:
        libvirt = self._libvirt
        conn = self.connection()
        with self._translated("define", spec.name):
            try:
                conn.lookupByName(spec.name)
            except libvirt.libvirtError as error:
                if error.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                    raise
            else:
                raise DriverError(already_defined_message(self.host, spec.name))
            pool = self._storage_pool("define", spec.name)
            domain_uuid = str(uuid.uuid4())
            created: builtins.list[Any] = []
            try:
                if spec.image.is_direct_boot:
                    kernel = self._image_volume(pool, spec, spec.image.kernel)
                    initrd = self._image_volume(pool, spec, spec.image.initrd)
                    xml = render_domain_xml(
                        spec,
                        uuid=domain_uuid,
                        domain_type=self.domain_type,
                        pool=self.pool,
                        boot_files=BootFiles(kernel_path=kernel.path(), initrd_path=initrd.path()),
                    )
                else:
                    base = self._image_volume(pool, spec, spec.image.volume)
                    base_format = ElementTree.fromstring(base.XMLDesc(0)).find("target/format")
                    overlay_xml = render_overlay_volume_xml(
                        overlay_volume_name(spec.name),
                        capacity_bytes=base.info()[1],
                        base_path=base.path(),
                        base_format=base_format.get("type", "qcow2") if base_format is not None else "qcow2",
                    )
                    created.append(pool.createXML(overlay_xml, 0))
                    seed = build_seed_iso(spec, instance_id=domain_uuid)
                    seed_xml = render_seed_volume_xml(seed_volume_name(spec.name), capacity_bytes=len(seed))
                    seed_volume = pool.createXML(seed_xml, 0)
                    created.append(seed_volume)
                    self.upload(seed_volume, seed)
                    xml = render_domain_xml(
                        spec,
                        uuid=domain_uuid,
                        domain_type=self.domain_type,
                        pool=self.pool,
                        overlay_volume=overlay_volume_name(spec.name),
                        seed_volume=seed_volume_name(spec.name),
                    )
                with self._lock:
                    self._managed.add(spec.name)
                conn.defineXML(xml)
            except BaseException:
                for volume in created:
                    try:
                        volume.delete(0)
                    except libvirt.libvirtError:
                        logger.warning("Host %s kept a volume of %s it could not delete", self.host, spec.name)
                raise

    def start(self, name: str) -> None:
        with self._translated("start", name):
            domain = self._lookup("start", name)
            if not domain.isActive():
                domain.create()

    def shut_down(self, name: str, *, timeout: float) -> None:
        with self._translated("shut_down", name):
            domain = self._lookup("shut_down", name)
            if not domain.isActive():
                return
            self._ignore_if_stopped(domain, domain.shutdown)
            deadline = time.monotonic() + timeout
            while domain.isActive() and (left := deadline - time.monotonic()) > 0:
                time.sleep(min(left, SHUTDOWN_POLL_SECONDS))
            if domain.isActive():
                self._ignore_if_stopped(domain, domain.destroy)

    def destroy(self, name: str) -> None:
        with self._translated("destroy", name):
            domain = self._lookup("destroy", name)
            if domain.isActive():
                self._ignore_if_stopped(domain, domain.destroy)

    def undefine(self, name: str) -> None:
        libvirt = self._libvirt
        with self._translated("undefine", name):
            try:
                domain = self._lookup("undefine", name)
            except libvirt.libvirtError as error:
                if error.get_error_code() != libvirt.VIR_ERR_NO_DOMAIN:
                    raise
                domain = None
            if domain is not None:
                if domain.isActive():
                    self._ignore_if_stopped(domain, domain.destroy)
                domain.undefineFlags(
                    libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA
                )
            pool = self._storage_pool("undefine", name)
            for volume_name in (overlay_volume_name(name), seed_volume_name(name)):
                volume = self._volume(pool, volume_name)
                if volume is not None:
                    volume.delete(0)

    def resize(self, name: str, *, vcpus: int, memory_mib: int) -> None:
        libvirt = self._libvirt
        config = libvirt.VIR_DOMAIN_AFFECT_CONFIG
        with self._translated("resize", name):
            domain = self._lookup("resize", name)
            current_vcpus, current_mib = self._defined_size(domain)
            memory_kib = memory_mib * 1024
            # The current value may never exceed the maximum: grow the maximum first, shrink it last.
            vcpu_steps = [(vcpus, config | libvirt.VIR_DOMAIN_VCPU_MAXIMUM), (vcpus, config)]
            memory_steps = [(memory_kib, config | libvirt.VIR_DOMAIN_MEM_MAXIMUM), (memory_kib, config)]
            for value, flags in vcpu_steps if vcpus >= current_vcpus else reversed(vcpu_steps):
                domain.setVcpusFlags(value, flags)
            for value, flags in memory_steps if memory_mib >= current_mib else reversed(memory_steps):
                domain.setMemoryFlags(value, flags)

    def state(self, name: str) -> DomainState:
        libvirt = self._libvirt
        with self._translated("inspect", name):
            try:
                domain = self.connection().lookupByName(name)
                state, reason = domain.state()
            except libvirt.libvirtError as error:
                if error.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                    return DomainState.MISSING
                raise
        return self._state(state, reason)

    def addresses(self, name: str) -> builtins.list[str]:
        libvirt = self._libvirt
        with self._translated("inspect", name):
            domain = self._lookup("inspect", name)
            if not domain.isActive():
                return []
            found: builtins.list[str] = []
            for source in (
                libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE,
                libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP,
            ):
                try:
                    interfaces = domain.interfaceAddresses(source, 0) or {}
                except libvirt.libvirtError:
                    continue  # this source is not available on the host
                for interface in interfaces.values():
                    for address in interface.get("addrs") or ():
                        if address["addr"] not in found:
                            found.append(address["addr"])
            return found

    def list(self) -> builtins.list[DomainInfo]:
        libvirt = self._libvirt
        infos = []
        with self._translated("inspect", "its machines"):
            for domain in self.connection().listAllDomains(0):
                try:
                    if not self._is_managed(domain):
                        continue
                    vcpus, memory_mib = self._defined_size(domain)
                    state, reason = domain.state()
                except libvirt.libvirtError as error:
                    if error.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
                        continue  # undefined while we looked
                    raise
                infos.append(
                    DomainInfo(name=domain.name(), state=self._state(state, reason), vcpus=vcpus, memory_mib=memory_mib)
                )
        return sorted(infos, key=lambda info: info.name)

    def domain_stats(self) -> builtins.list[DomainStats]:
        libvirt = self._libvirt
        wanted = (
            libvirt.VIR_DOMAIN_STATS_STATE
            | libvirt.VIR_DOMAIN_STATS_CPU_TOTAL
            | libvirt.VIR_DOMAIN_STATS_VCPU
            | libvirt.VIR_DOMAIN_STATS_INTERFACE
            | libvirt.VIR_DOMAIN_STATS_BLOCK
        )
        with self._translated("inspect", "its machines"):
            records = self.connection().getAllDomainStats(wanted)  # one call for every domain of the host
        return sorted((self._stats(domain.name(), record) for domain, record in records), key=lambda s: s.name)

    def _stats(self, name: str, record: dict[str, Any]) -> DomainStats:
        def total(kind: str, counter: str) -> int:
            count = int(record.get(f"{kind}.count", 0))
            return sum(int(record.get(f"{kind}.{index}.{counter}", 0)) for index in range(count))

        return DomainStats(
            name=name,
            state=self._state(record.get("state.state", -1), record.get("state.reason", 0)),
            cpu_time_ns=int(record.get("cpu.time", 0)),
            vcpus=max(1, int(record.get("vcpu.current", 1))),
            disk_read_bytes=total("block", "rd.bytes"),
            disk_write_bytes=total("block", "wr.bytes"),
            net_in_bytes=total("net", "rx.bytes"),
            net_out_bytes=total("net", "tx.bytes"),
        )

    def events(self, callback: EventCallback) -> None:
        with self._lock:
            self._callbacks.append(callback)
            if self._event_id is None:
                self.connection()
                self._register_events()

    def close(self) -> None:
        libvirt = self._libvirt
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
            event_id, self._event_id = self._event_id, None
            self._callbacks.clear()
        if conn is None:
            return
        try:
            if event_id is not None:
                conn.domainEventDeregisterAny(event_id)
            try:
                conn.unregisterCloseCallback()
            except libvirt.libvirtError:
                logger.debug("Host %s had no close callback to unregister", self.host)
            conn.close()
        except libvirt.libvirtError as error:
            logger.warning("Host %s did not close cleanly: %s", self.host, _sentence(error))

    # Workings.

    def _register_events(self) -> None:
        self._event_id = self._conn.domainEventRegisterAny(
            None, self._libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, self._on_lifecycle, None
        )

    def _on_lifecycle(self, _conn: Any, domain: Any, event: int, detail: int, _opaque: object) -> None:
        libvirt = self._libvirt
        name = domain.name()
        if event == libvirt.VIR_DOMAIN_EVENT_UNDEFINED:
            with self._lock:
                managed = name in self._managed
                self._managed.discard(name)
        else:
            try:
                managed = self._is_managed(domain)
            except libvirt.libvirtError:
                with self._lock:
                    managed = name in self._managed
        domain_event = _event(event, detail)
        if not managed or domain_event is None:
            return
        with self._lock:
            callbacks = builtins.list(self._callbacks)
        for callback in callbacks:
            try:
                callback(name, domain_event)
            except Exception:
                logger.exception("An event callback failed on host %s for %s", self.host, name)

    def _ignore_if_stopped(self, domain: Any, action: Callable[[], object]) -> None:
        """Run a power action, unless the machine stopped on its own meanwhile."""
        try:
            action()
        except self._libvirt.libvirtError:
            if domain.isActive():
                raise

    def _defined_size(self, domain: Any) -> tuple[int, int]:
        """Return the vCPUs and MiB of the domain's persistent definition."""
        xml = ElementTree.fromstring(domain.XMLDesc(self._libvirt.VIR_DOMAIN_XML_INACTIVE))
        vcpu = xml.find("vcpu")
        vcpus = int(vcpu.get("current") or vcpu.text) if vcpu is not None else 1
        return vcpus, _kib(xml.find("memory")) // 1024

    def _state(self, state: int, reason: int) -> DomainState:
        libvirt = self._libvirt
        if state in (libvirt.VIR_DOMAIN_RUNNING, libvirt.VIR_DOMAIN_BLOCKED):
            return DomainState.RUNNING
        if state == libvirt.VIR_DOMAIN_SHUTOFF:
            failed = (libvirt.VIR_DOMAIN_SHUTOFF_CRASHED, libvirt.VIR_DOMAIN_SHUTOFF_FAILED)
            return DomainState.CRASHED if reason in failed else DomainState.STOPPED
        return {
            libvirt.VIR_DOMAIN_PAUSED: DomainState.PAUSED,
            libvirt.VIR_DOMAIN_SHUTDOWN: DomainState.SHUTTING_DOWN,
            libvirt.VIR_DOMAIN_CRASHED: DomainState.CRASHED,
            libvirt.VIR_DOMAIN_PMSUSPENDED: DomainState.SUSPENDED,
        }.get(state, DomainState.UNKNOWN)


# libvirt's lifecycle event numbers and their details, as the portal names them.
_KINDS = {
    0: EventKind.DEFINED,
    1: EventKind.UNDEFINED,
    2: EventKind.STARTED,
    3: EventKind.SUSPENDED,
    4: EventKind.RESUMED,
    5: EventKind.STOPPED,
    6: EventKind.SHUTTING_DOWN,
    7: EventKind.SUSPENDED,
    8: EventKind.CRASHED,
}
_REASONS = {
    EventKind.DEFINED: {0: EventReason.ADDED, 1: EventReason.UPDATED},
    EventKind.STARTED: {0: EventReason.BOOTED, 1: EventReason.MIGRATED, 2: EventReason.RESTORED},
    EventKind.STOPPED: {
        0: EventReason.SHUTDOWN,
        1: EventReason.DESTROYED,
        2: EventReason.CRASHED,
        3: EventReason.MIGRATED,
        4: EventReason.SAVED,
        5: EventReason.FAILED,
    },
    EventKind.SHUTTING_DOWN: {0: EventReason.SHUTDOWN},
    EventKind.CRASHED: {0: EventReason.CRASHED},
}


def _event(event: int, detail: int) -> DomainEvent | None:
    kind = _KINDS.get(event)
    if kind is None:
        return None  # an event a newer libvirt added and the portal does not know
    return DomainEvent(kind=kind, reason=_REASONS.get(kind, {}).get(detail, EventReason.OTHER))


def _kib(memory: Any) -> int:
    """Return a libvirt memory element's amount in KiB."""
    if memory is None:
        return 0
    factors = {"b": 1 / 1024, "bytes": 1 / 1024, "k": 1, "kib": 1, "m": 1024, "mib": 1024, "g": 1024**2, "gib": 1024**2}
    return int(int(memory.text) * factors.get(memory.get("unit", "KiB").lower(), 1))


def _sentence(error: Any) -> str:
    """Return libvirt's message for an error as a sentence."""
    message = (error.get_error_message() or str(error)).strip()
    return message if message.endswith(".") else f"{message}."
