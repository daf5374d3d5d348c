"""The fabric drivers' hosts under test: the simulated one and libvirt's test host, and small machines to define."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

from fabric.drivers.base import DomainEvent, DomainSpec, Driver, ImageSource
from fabric.drivers.simulated import SimulatedDriver
from fabric.passwords import password_crypt
from tests.helpers.lab import require_libvirt

BASE_VOLUME = "debian-12-base.qcow2"
KERNEL_VOLUME = "tiny-vmlinuz"
INITRD_VOLUME = "tiny-initrd.gz"
TEST_POOL = "default-pool"  # test:///default's storage pool
EVENT_WAIT_SECONDS = 10
PLAIN_PASSWORD = "Plain-Text-Never-Leaves-1"
SSH_PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOZ5 person@example.org"


class EventLog:
    """Collect a driver's events, and wait until a number of them arrived (libvirt delivers them from its loop)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, DomainEvent]] = []
        self._arrived = threading.Condition()

    def __call__(self, name: str, event: DomainEvent) -> None:
        with self._arrived:
            self.events.append((name, event))
            self._arrived.notify_all()

    def wait_for(self, count: int) -> list[tuple[str, DomainEvent]]:
        with self._arrived:
            self._arrived.wait_for(lambda: len(self.events) >= count, timeout=EVENT_WAIT_SECONDS)
            return list(self.events)


@dataclass
class Host:
    """A driver under test, its storage pool, and how to list (and what was uploaded to) its volumes."""

    driver: Driver
    pool: str
    volume_names: object  # () -> set[str]
    uploads: dict[str, bytes] = field(default_factory=dict)


def simulated_host(host_name: str) -> Host:
    """Return a simulated host with the lab's image volumes."""
    driver = SimulatedDriver(host_name, pool=TEST_POOL)
    for volume in (BASE_VOLUME, KERNEL_VOLUME, INITRD_VOLUME):
        driver.add_volume(volume)
    return Host(driver=driver, pool=TEST_POOL, volume_names=driver.volumes)


def libvirt_test_host(host_name: str) -> Host:
    """Return libvirt's test host (test:///default) with the image volumes; uploads are recorded, not streamed."""
    require_libvirt()
    from fabric.drivers.libvirt import LibvirtDriver

    uploads: dict[str, bytes] = {}

    def record_upload(volume, data: bytes) -> None:
        uploads[volume.name()] = data

    driver = LibvirtDriver("test:///default", host=host_name, pool=TEST_POOL, domain_type="qemu", upload=record_upload)
    pool = driver.connection().storagePoolLookupByName(TEST_POOL)
    present = set(pool.listVolumes())
    for volume in {BASE_VOLUME, KERNEL_VOLUME, INITRD_VOLUME} - present:
        image_format = "qcow2" if volume.endswith(".qcow2") else "raw"
        pool.createXML(
            f"<volume><name>{volume}</name><capacity unit='MiB'>64</capacity>"
            f"<target><format type='{image_format}'/></target></volume>",
            0,
        )
    return Host(driver=driver, pool=TEST_POOL, volume_names=lambda: set(pool.listVolumes()), uploads=uploads)


def machine_name() -> str:
    """Return a fresh machine name with the prefix the contract's hosts clean up."""
    return f"t-{uuid.uuid4().hex[:8]}"


def domain_spec(name: str, *, image: ImageSource | None = None, **changes) -> DomainSpec:
    """Return a small machine's definition, with the given fields changed."""
    values = {
        "name": name,
        "vcpus": 1,
        "memory_mib": 96,
        "image": image or ImageSource.disk(BASE_VOLUME),
        "hostname": "web1",
        "admin_username": "azureuser",
        "ssh_public_key": SSH_PUBLIC_KEY,
        "password_crypt": password_crypt(PLAIN_PASSWORD),
        "network": "default",
        "mac": "52:54:00:12:34:56",
        "address": "10.20.1.4",
        "prefix": 24,
        "gateway": "10.20.1.1",
    }
    values.update(changes)
    return DomainSpec(**values)
