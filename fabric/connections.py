"""The drivers of this process: one per libvirt host, opened on first use and kept (libvirt reconnects by itself)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from fabric.drivers.base import Driver
from fabric.models import Host

KEEPALIVE = (2, 3)  # a ping every 2 s, given up after 3 missed: a lost host is noticed within about 6 s

DriverFactory = Callable[[Host], Driver]


def libvirt_driver(host: Host) -> Driver:
    """Open the libvirt driver of a host (libvirt-python is imported only here, for libvirt hosts)."""
    from fabric.drivers.libvirt import LibvirtDriver

    return LibvirtDriver(
        host.uri, host=host.name, pool=host.storage_pool, domain_type=host.domain_type, keepalive=KEEPALIVE
    )


_factory: DriverFactory = libvirt_driver
# Keyed by what the driver fixes when it opens: a host whose address, pool or domain type changed gets a new one.
_drivers: dict[tuple[int, str, str, str], Driver] = {}
_lock = threading.Lock()


def host_driver(host: Host) -> Driver:
    """Return this process's driver for the host, opening it the first time; raises DriverError when unreachable."""
    key = (host.pk, host.uri, host.storage_pool, host.domain_type)
    with _lock:
        driver = _drivers.get(key)
    if driver is not None:
        return driver
    driver = _factory(host)
    with _lock:
        kept = _drivers.setdefault(key, driver)
    if kept is not driver:
        driver.close()
    return kept


def driver_factory_set(factory: DriverFactory | None) -> None:
    """Open hosts' drivers with `factory` from now on (tests use the simulated driver); None: libvirt's again."""
    global _factory
    drivers_close()
    _factory = factory or libvirt_driver


def drivers_close() -> None:
    """Close every driver this process opened."""
    with _lock:
        drivers = list(_drivers.values())
        _drivers.clear()
    for driver in drivers:
        driver.close()


def new_driver(host: Host) -> Driver:
    """Open a driver of its own for the host (the host watcher's, which receives its events)."""
    return _factory(host)
