"""The lab's real guests for the tests: the libvirt guard, a guest's XML, waiting for it to answer, and the portal
on the lab (its worker, the region it takes over, the machines it deploys and removes)."""

from __future__ import annotations

import atexit
import contextlib
import importlib
import importlib.util
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from console.services import virtual_machine_deploy
from fabric import connections as fabric_connections
from fabric.lab.hosts import LabError, LabHost, check_requirements, recorded_balancer, start_hosts, stop_hosts
from fabric.models import SIMULATED_URI, Host, Placement, Rack
from fabric.services import lab_balancer_register, lab_hosts_register
from fabric.watch import process_watcher
from portal.worker import PortalWorker
from tests import factories
from tests.helpers.worker import worker_thread
from vms.models import Operation, Region, VirtualMachine

GUEST_MEMORY_MIB = 96
GUEST_DISK_MIB = 64


def real_guests_required() -> bool:
    """Tell whether real guests must run here (CI): then a missing requirement fails instead of skipping."""
    return os.environ.get("PORTAL_REAL_GUESTS", "") == "required"


def skip_or_fail(reason: str) -> None:
    """Skip the calling test for reason, or fail it when PORTAL_REAL_GUESTS=required (CI)."""
    if real_guests_required():
        pytest.fail(f"PORTAL_REAL_GUESTS=required, but {reason}", pytrace=False)
    pytest.skip(reason)


def require_libvirt() -> ModuleType:
    """Return libvirt-python; skip the calling test without it, or fail it when PORTAL_REAL_GUESTS=required."""
    try:
        return importlib.import_module("libvirt")
    except ImportError:
        skip_or_fail("libvirt-python is not installed (pip install -r requirements-fabric.txt)")


ROOT = Path(__file__).resolve().parent.parent.parent  # the project's root, above tests/
IMAGES = ROOT / "var" / "lab" / "images"
CAPABILITIES_CACHE = ROOT / "var" / "lab" / "qemu-capabilities"


def lab_unavailable() -> str | None:
    """Say what the lab's real guests lack on this machine, or None when they can run."""
    missing = check_requirements()
    if importlib.util.find_spec("libvirt") is None:
        missing.append("libvirt-python (pip install -r requirements-fabric.txt)")
    if not list(Path("/boot").glob("vmlinuz-*-cloud-amd64")):
        missing.append("the cloud kernel (linux-image-cloud-amd64)")
    if not missing:
        return None
    return "real guests need " + "; ".join(missing) + " (run fabric/lab/install.sh as root)"


@dataclass
class Lab:
    """Lab hosts started for tests, the directory they run in, and how to start them again."""

    hosts: list[LabHost]
    workdir: Path
    racks: int = 2
    balancer: bool = False
    stopped: bool = False

    def stop(self) -> None:
        """Stop the lab now (the session's end then has nothing left to stop); a later test starts it again."""
        stop_hosts(self.workdir)
        self.stopped = True

    def running(self) -> Lab:
        """Return the lab, started again first if it was stopped (by a test, or for another lab)."""
        if self.stopped:
            self.hosts = _start(len(self.hosts), self.racks, self.workdir, balancer=self.balancer)
            self.stopped = False
            _started.append(self)
        return self


# Only one lab runs on a machine (fixed names and addresses): starting one stops the others this session started.
_started: list[Lab] = []
LAB_FREE_TIMEOUT = 600  # another process's lab may hold the machine's names this long


def _start(count: int, racks: int, workdir: Path, *, balancer: bool) -> list[LabHost]:
    for other in _started:
        if not other.stopped:
            other.stop()
    _started.clear()
    deadline = time.monotonic() + LAB_FREE_TIMEOUT
    while True:
        try:
            return start_hosts(count, racks, workdir, images=IMAGES, cache=CAPABILITIES_CACHE, balancer=balancer)
        except LabError as error:
            if "is a lab running?" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(5)


def lab_start(count: int, racks: int, workdir: Path, *, balancer: bool = False) -> Lab:
    """Start `count` lab hosts in `racks` racks (the lab's HAProxy too, with balancer), or skip/fail saying why."""
    reason = lab_unavailable()
    if reason:
        skip_or_fail(reason)
    build = subprocess.run(
        [str(ROOT / "fabric" / "lab" / "build_guest_image.sh"), str(IMAGES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if build.returncode != 0:
        skip_or_fail(f"the lab guest image did not build: {build.stderr.strip()}")
    atexit.register(stop_hosts, workdir)
    lab = Lab(hosts=_start(count, racks, workdir, balancer=balancer), workdir=workdir, racks=racks, balancer=balancer)
    _started.append(lab)
    return lab


def guest_xml(host: LabHost, *, name: str, address: str, disk_path: str) -> str:
    """Return the domain XML of a lab guest on host: direct kernel boot, a virtio NIC, a disk, ACPI."""
    kernel = f"{host.pool_path}/{host.base_volumes['kernel']}"
    initrd = f"{host.pool_path}/{host.base_volumes['initrd']}"
    cmdline = f"console=ttyS0 quiet portal.ip={address} portal.gw={host.gateway} portal.hostname={name}"
    return f"""<domain type='qemu'>
  <name>{name}</name>
  <memory unit='MiB'>{GUEST_MEMORY_MIB}</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>{kernel}</kernel>
    <initrd>{initrd}</initrd>
    <cmdline>{cmdline}</cmdline>
  </os>
  <features><acpi/><tcg><tb-cache unit='MiB'>32</tb-cache></tcg></features>
  <on_poweroff>destroy</on_poweroff>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='{disk_path}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='{host.network}'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'><log file='/var/log/libvirt/qemu/{name}-console.log'/></serial>
    <console type='pty'/>
  </devices>
</domain>"""


def overlay_volume_xml(host: LabHost, *, name: str) -> str:
    """Return the XML of a qcow2 copy-on-write volume over the host's base disk volume."""
    base = f"{host.pool_path}/{host.base_volumes['disk']}"
    return f"""<volume>
  <name>{name}.qcow2</name>
  <capacity unit='MiB'>{GUEST_DISK_MIB}</capacity>
  <target><format type='qcow2'/></target>
  <backingStore><path>{base}</path><format type='raw'/></backingStore>
</volume>"""


def http_get(address: str, port: int = 80, *, timeout: float = 2.0) -> str | None:
    """Return the response to GET / from address:port (status line, headers and body), or None when nothing answers."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as connection:
            connection.settimeout(timeout)
            connection.sendall(f"GET / HTTP/1.0\r\nHost: {address}\r\n\r\n".encode())
            chunks = []
            while chunk := connection.recv(4096):
                chunks.append(chunk)
    except OSError:
        return None
    return b"".join(chunks).decode(errors="replace")


def wait_until(predicate, *, timeout: float, interval: float = 0.2):
    """Return predicate's first true value, or None once timeout seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    return None


def lab_worker(settings, worker_id: str) -> Iterator[tuple[PortalWorker, threading.Thread]]:
    """Yield a worker and its thread (not started yet) for tasks kept in the database, giving a guest 60 s to start.

    A fixture yields from it; the worker stops at the fixture's end.
    """
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.FABRIC_START_TIMEOUT_SECONDS = 60
    background, thread = worker_thread(worker_id)
    yield background, thread
    background.running = False


def lab_region_take_over(lab: Lab, region: Region, *, balancer: bool = False) -> list[Host]:
    """Make the lab's hosts (and, with balancer, its HAProxy) the region's own, and return the hosts registered.

    The test database gives every region simulated hosts: they and the region's racks go first.
    """
    Host.objects.filter(rack__region=region, uri=SIMULATED_URI).delete()
    Rack.objects.filter(region=region).delete()
    hosts = lab_hosts_register(hosts=lab.hosts, region=region)
    if balancer:
        lab_balancer_register(balancer=recorded_balancer(lab.workdir), region=region)
    return hosts


def lab_deploy(user, subscription, image, name: str, **where) -> VirtualMachine:
    """Deploy an ExtraSmall VM of image where `where` says (virtual_machine_deploy's arguments) and return it."""
    operation = virtual_machine_deploy(
        user=user,
        subscription=subscription,
        image_version=image,
        name=name,
        admin_username="portaladmin",
        admin_password=factories.STRONG_PASSWORD,
        size=factories.size("ExtraSmall"),
        **where,
    )
    return VirtualMachine.objects.select_related("membership", "cloud_service", "placement__host__rack").get(
        pk=operation.virtual_machine_id
    )


def operations_summary() -> list[tuple[str, str, str]]:
    """Return every operation's title, status and message, oldest first, to explain a failed wait."""
    return list(Operation.objects.order_by("pk").values_list("title", "status", "message"))


def lab_machines_remove() -> None:
    """Undefine every placed machine's domain on its host, then close the fabric's connections and process watcher."""
    for placement in Placement.objects.select_related("host"):
        with contextlib.suppress(Exception):  # best effort: the lab's teardown removes everything anyway
            fabric_connections.host_driver(placement.host).undefine(placement.domain_name)
    fabric_connections.drivers_close()
    process_watcher().close()
