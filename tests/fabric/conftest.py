"""Fabric tests: libvirt-python is optional, and libvirt's event loop runs once per session.

The lab's fixtures (real libvirt hosts on this machine, tests/conftest.py) skip without root and Debian's packages and
say why; with PORTAL_REAL_GUESTS=required (CI) they fail instead.
"""

from __future__ import annotations

import threading
from types import ModuleType

import pytest

from tests.helpers.lab import (
    require_libvirt,
)


@pytest.fixture
def libvirt_module() -> ModuleType:
    return require_libvirt()


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
