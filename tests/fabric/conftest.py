"""Fabric tests: libvirt-python is optional and the lab's real guests need root and Debian's packages.

Without them these tests skip and say why; with PORTAL_REAL_GUESTS=required (CI) they fail instead. The lab (real
libvirt hosts on this machine) is started once per session and always stopped.
"""

from __future__ import annotations

import atexit
import subprocess
import threading
from types import ModuleType

import pytest

from fabric.lab.hosts import start_hosts, stop_hosts
from tests.helpers.lab import (
    CAPABILITIES_CACHE,
    IMAGES,
    ROOT,
    Lab,
    lab_unavailable,
    require_libvirt,
    skip_or_fail,
)


@pytest.fixture
def libvirt_module() -> ModuleType:
    return require_libvirt()


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Lab:
    """Two lab hosts in two racks for the whole session, stopped at its end whatever happens."""
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
    workdir = tmp_path_factory.mktemp("lab")
    atexit.register(stop_hosts, workdir)
    hosts = start_hosts(2, 2, workdir, images=IMAGES, cache=CAPABILITIES_CACHE)
    try:
        yield Lab(hosts=hosts, workdir=workdir)
    finally:
        stop_hosts(workdir)


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


@pytest.fixture
def running_lab(lab) -> Lab:
    """The session's lab, started again if an earlier test stopped it (tests/fabric/test_lab.py checks its stop)."""
    return lab.running()
