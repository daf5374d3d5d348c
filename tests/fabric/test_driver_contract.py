"""One contract for every driver: the simulated host and libvirt's test host (test:///default) answer alike.

test:///default cannot take volume uploads (virStorageVolUpload), so for it the seed's upload is recorded instead of
streamed; everything else (volumes with their backing store, definitions, power, events) is libvirt's own.
"""

from __future__ import annotations

import ipaddress
import uuid

import pytest

from fabric.drivers.base import (
    DomainEvent,
    DomainInfo,
    DomainState,
    DriverError,
    EventKind,
    EventReason,
    ImageSource,
    missing_image_message,
    not_defined_message,
    overlay_volume_name,
    seed_volume_name,
)
from tests.helpers.drivers import (
    BASE_VOLUME,
    INITRD_VOLUME,
    KERNEL_VOLUME,
    EventLog,
    domain_spec,
    libvirt_test_host,
    machine_name,
    simulated_host,
)


@pytest.fixture(params=["simulated", "libvirt"])
def host(request):
    host_name = f"h-{uuid.uuid4().hex[:6]}"
    made = simulated_host(host_name) if request.param == "simulated" else libvirt_test_host(host_name)
    yield made
    for info in made.driver.list():
        if info.name.startswith("t-"):
            made.driver.undefine(info.name)
    made.driver.close()


DIRECT_BOOT = ImageSource.direct_boot(
    kernel=KERNEL_VOLUME,
    initrd=INITRD_VOLUME,
    cmdline="portal.ip={address}/{prefix} portal.gw={gateway} portal.hostname={hostname} console=ttyS0",
)


def event(kind: EventKind, reason: EventReason) -> DomainEvent:
    return DomainEvent(kind=kind, reason=reason)


DEFINED = event(EventKind.DEFINED, EventReason.ADDED)
BOOTED = event(EventKind.STARTED, EventReason.BOOTED)
SHUT_DOWN = event(EventKind.STOPPED, EventReason.SHUTDOWN)
DESTROYED = event(EventKind.STOPPED, EventReason.DESTROYED)
UNDEFINED = event(EventKind.UNDEFINED, EventReason.OTHER)


@pytest.mark.parametrize("image", [ImageSource.disk(BASE_VOLUME), DIRECT_BOOT], ids=["disk", "direct-boot"])
def test_a_defined_machine_is_stopped_and_listed_with_its_size(host, image):
    name = machine_name()
    host.driver.define(domain_spec(name, image=image, vcpus=2, memory_mib=128))

    assert host.driver.state(name) == DomainState.STOPPED
    mine = [info for info in host.driver.list() if info.name == name]
    assert mine == [DomainInfo(name=name, state=DomainState.STOPPED, vcpus=2, memory_mib=128)]


def test_only_the_portals_machines_are_listed(host):
    name = machine_name()
    host.driver.define(domain_spec(name))

    names = {info.name for info in host.driver.list()}
    assert name in names
    assert "test" not in names  # test:///default's own domain carries no portal metadata


def test_power_operations_change_the_state_and_repeat_harmlessly(host):
    name = machine_name()
    host.driver.define(domain_spec(name))

    host.driver.start(name)
    assert host.driver.state(name) == DomainState.RUNNING
    host.driver.start(name)
    assert host.driver.state(name) == DomainState.RUNNING

    host.driver.shut_down(name, timeout=5)
    assert host.driver.state(name) == DomainState.STOPPED
    host.driver.shut_down(name, timeout=5)
    host.driver.destroy(name)
    assert host.driver.state(name) == DomainState.STOPPED

    host.driver.start(name)
    host.driver.restart(name, timeout=5)
    assert host.driver.state(name) == DomainState.RUNNING
    host.driver.destroy(name)
    assert host.driver.state(name) == DomainState.STOPPED


def test_lifecycle_events_name_the_machine_and_the_reason(host):
    name = machine_name()
    log = EventLog()
    host.driver.events(log)

    host.driver.define(domain_spec(name))
    host.driver.start(name)
    host.driver.shut_down(name, timeout=5)
    host.driver.start(name)
    host.driver.restart(name, timeout=5)
    host.driver.destroy(name)
    host.driver.undefine(name)

    expected = [DEFINED, BOOTED, SHUT_DOWN, BOOTED, SHUT_DOWN, BOOTED, DESTROYED, UNDEFINED]
    assert log.wait_for(len(expected)) == [(name, seen) for seen in expected]


def test_undefining_a_running_machine_stops_it_first(host):
    name = machine_name()
    log = EventLog()
    host.driver.events(log)
    host.driver.define(domain_spec(name))
    host.driver.start(name)

    host.driver.undefine(name)

    assert log.wait_for(4) == [(name, DEFINED), (name, BOOTED), (name, DESTROYED), (name, UNDEFINED)]
    assert host.driver.state(name) == DomainState.MISSING


def test_undefine_removes_the_overlay_disk_and_the_seed(host):
    name = machine_name()
    host.driver.define(domain_spec(name))
    assert {overlay_volume_name(name), seed_volume_name(name)} <= host.volume_names()

    host.driver.undefine(name)

    assert host.driver.state(name) == DomainState.MISSING
    assert name not in {info.name for info in host.driver.list()}
    assert not {overlay_volume_name(name), seed_volume_name(name)} & host.volume_names()
    assert BASE_VOLUME in host.volume_names()  # the image stays for the next machine
    host.driver.undefine(name)  # a second time does nothing


@pytest.mark.parametrize("running", [False, True], ids=["stopped", "running"])
def test_resize_changes_the_definition_growing_or_shrinking(host, running):
    name = machine_name()
    host.driver.define(domain_spec(name, vcpus=2, memory_mib=256))
    if running:
        host.driver.start(name)

    host.driver.resize(name, vcpus=4, memory_mib=512)
    [grown] = [info for info in host.driver.list() if info.name == name]
    host.driver.resize(name, vcpus=1, memory_mib=96)
    [shrunk] = [info for info in host.driver.list() if info.name == name]

    assert (grown.vcpus, grown.memory_mib) == (4, 512)
    assert (shrunk.vcpus, shrunk.memory_mib) == (1, 96)
    assert host.driver.state(name) == (DomainState.RUNNING if running else DomainState.STOPPED)


def test_addresses_are_none_while_stopped_and_ip_addresses_while_running(host):
    name = machine_name()
    host.driver.define(domain_spec(name))
    assert host.driver.addresses(name) == []

    host.driver.start(name)

    addresses = host.driver.addresses(name)
    assert addresses
    for address in addresses:
        ipaddress.ip_address(address)


@pytest.mark.parametrize(
    ("operation", "verb"),
    [
        (lambda driver, name: driver.start(name), "start"),
        (lambda driver, name: driver.shut_down(name, timeout=1), "shut down"),
        (lambda driver, name: driver.restart(name, timeout=1), "shut down"),
        (lambda driver, name: driver.destroy(name), "stop"),
        (lambda driver, name: driver.resize(name, vcpus=2, memory_mib=128), "resize"),
    ],
    ids=["start", "shut_down", "restart", "destroy", "resize"],
)
def test_a_machine_the_host_does_not_have_is_a_readable_error(host, operation, verb):
    name = machine_name()
    with pytest.raises(DriverError) as raised:
        operation(host.driver, name)

    assert str(raised.value) == not_defined_message(host.driver.host, verb, name)
    assert host.driver.state(name) == DomainState.MISSING


def test_defining_a_name_twice_is_a_readable_error(host):
    name = machine_name()
    host.driver.define(domain_spec(name))

    with pytest.raises(DriverError, match=f"^Host {host.driver.host} could not create {name}: there is already"):
        host.driver.define(domain_spec(name))


@pytest.mark.parametrize(
    ("image", "label", "volume"),
    [
        (ImageSource.disk("windows-2012.qcow2"), "windows-2012.qcow2", "windows-2012.qcow2"),
        (ImageSource.direct_boot(kernel=KERNEL_VOLUME, initrd="gone.gz", cmdline=""), KERNEL_VOLUME, "gone.gz"),
    ],
    ids=["disk", "direct-boot"],
)
def test_an_image_missing_on_the_host_names_the_image_and_the_host(host, image, label, volume):
    name = machine_name()
    before = host.volume_names()

    with pytest.raises(DriverError) as raised:
        host.driver.define(domain_spec(name, image=image))

    assert str(raised.value) == missing_image_message(host.driver.host, label, volume, host.pool)
    assert host.driver.state(name) == DomainState.MISSING
    assert host.volume_names() == before


def test_domain_stats_report_every_machine_and_its_state(host):
    running, stopped = machine_name(), machine_name()
    host.driver.define(domain_spec(running))
    host.driver.define(domain_spec(stopped, mac="52:54:00:12:34:57", address="10.20.1.5"))
    host.driver.start(running)
    stats = {stat.name: stat for stat in host.driver.domain_stats()}
    assert stats[running].state == DomainState.RUNNING
    assert stats[stopped].state == DomainState.STOPPED
    assert stats[stopped].vcpus >= 1
    assert min(stats[stopped].cpu_time_ns, stats[stopped].net_in_bytes, stats[stopped].disk_read_bytes) >= 0
