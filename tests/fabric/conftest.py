"""Fabric tests: libvirt-python is optional and the lab's real guests need root and Debian's packages.

Without them these tests skip and say why; with PORTAL_REAL_GUESTS=required (CI) they fail instead. The lab (real
libvirt hosts on this machine) is started once per session and always stopped.
"""

from __future__ import annotations

import atexit
import importlib
import importlib.util
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from fabric.lab.hosts import LabHost, check_requirements, start_hosts, stop_hosts
from tests.helpers.lab import require_libvirt, skip_or_fail

ROOT = Path(__file__).resolve().parent.parent.parent
IMAGES = ROOT / "var" / "lab" / "images"
CAPABILITIES_CACHE = ROOT / "var" / "lab" / "qemu-capabilities"


def _unavailable() -> str | None:
    missing = check_requirements()
    if importlib.util.find_spec("libvirt") is None:
        missing.append("libvirt-python (pip install -r requirements-fabric.txt)")
    if not list(Path("/boot").glob("vmlinuz-*-cloud-amd64")):
        missing.append("the cloud kernel (linux-image-cloud-amd64)")
    if not missing:
        return None
    return "real guests need " + "; ".join(missing) + " (run fabric/lab/install.sh as root)"


@pytest.fixture
def libvirt_module() -> ModuleType:
    return require_libvirt()


@dataclass
class Lab:
    hosts: list[LabHost]
    workdir: Path
    stopped: bool = False

    def stop(self) -> None:
        """Stop the lab now (the session's end then has nothing left to stop); a later test starts it again."""
        stop_hosts(self.workdir)
        self.stopped = True

    def running(self) -> Lab:
        """Return the lab, started again first if a test stopped it."""
        if self.stopped:
            self.hosts = start_hosts(len(self.hosts), 2, self.workdir, images=IMAGES, cache=CAPABILITIES_CACHE)
            self.stopped = False
        return self


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    """Two lab hosts in two racks for the whole session, stopped at its end whatever happens."""
    reason = _unavailable()
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
    workdir = tmp_path_factory.mktemp("lab")
    atexit.register(stop_hosts, workdir)
    hosts = start_hosts(2, 2, workdir, images=IMAGES, cache=CAPABILITIES_CACHE)
    try:
        yield Lab(hosts=hosts, workdir=workdir)
    finally:
        stop_hosts(workdir)


@pytest.fixture
def running_lab(lab) -> Lab:
    """The session's lab, started again if an earlier test stopped it (tests/fabric/test_lab.py checks its stop)."""
    return lab.running()


@pytest.fixture(scope="session")
def libvirt_events():
    """libvirt's default event loop, run by a thread, so connections deliver lifecycle events."""
    import libvirt

    libvirt.virEventRegisterDefaultImpl()

    def run() -> None:
        while True:
            libvirt.virEventRunDefaultImpl()

    threading.Thread(target=run, name="libvirt-events", daemon=True).start()
    return libvirt
