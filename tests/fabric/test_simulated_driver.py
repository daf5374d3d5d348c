"""What only the simulated host does: fail when told, crash a guest, ignore ACPI, share hosts between drivers."""

from __future__ import annotations

import pytest

from fabric.drivers.base import DomainEvent, DomainState, DriverError, EventKind, EventReason
from fabric.drivers.simulated import SimulatedDriver
from tests.helpers.drivers import EventLog, domain_spec, machine_name


@pytest.fixture
def driver():
    made = SimulatedDriver(f"sim-{machine_name()}")
    yield made
    made.close()


def test_a_host_told_to_fail_fails_the_next_call_only(driver):
    name = machine_name()
    driver.define(domain_spec(name))
    driver.fail("start")

    with pytest.raises(DriverError, match=f"^Host {driver.host} could not start {name}: the simulated host"):
        driver.start(name)
    assert driver.state(name) == DomainState.STOPPED
    driver.start(name)
    assert driver.state(name) == DomainState.RUNNING


def test_a_crashed_guest_stops_with_reason_failed_and_can_start_again(driver):
    name = machine_name()
    log = EventLog()
    driver.events(log)
    driver.define(domain_spec(name))
    driver.start(name)

    driver.crash(name)

    assert driver.state(name) == DomainState.CRASHED
    assert log.wait_for(3)[-1] == (name, DomainEvent(EventKind.STOPPED, EventReason.FAILED))
    driver.start(name)
    assert driver.state(name) == DomainState.RUNNING


def test_a_guest_that_ignores_acpi_is_destroyed_after_the_timeout(driver):
    name = machine_name()
    log = EventLog()
    driver.events(log)
    driver.define(domain_spec(name))
    driver.start(name)
    driver.ignore_acpi(name)

    driver.shut_down(name, timeout=0)

    assert driver.state(name) == DomainState.STOPPED
    assert log.wait_for(3)[-1] == (name, DomainEvent(EventKind.STOPPED, EventReason.DESTROYED))


def test_drivers_for_the_same_host_share_its_machines_and_events(driver):
    name = machine_name()
    other = SimulatedDriver(driver.host)
    log = EventLog()
    other.events(log)

    driver.define(domain_spec(name))
    driver.start(name)

    assert other.state(name) == DomainState.RUNNING
    assert [seen for _, seen in log.wait_for(2)] == [
        DomainEvent(EventKind.DEFINED, EventReason.ADDED),
        DomainEvent(EventKind.STARTED, EventReason.BOOTED),
    ]
    other.close()
    driver.destroy(name)
    assert len(log.events) == 2  # a closed driver hears no more
    assert SimulatedDriver(f"{driver.host}-elsewhere").state(name) == DomainState.MISSING


def test_a_host_that_was_never_given_volumes_carries_every_image(driver):
    name = machine_name()
    driver.define(domain_spec(name))
    assert driver.state(name) == DomainState.STOPPED
