"""The worker's host watch: leases held by exactly one worker, what the hosts report, and bounded queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fabric import connections
from fabric.drivers.base import DomainState, DriverError
from fabric.drivers.simulated import SimulatedDriver, forget_hosts
from fabric.models import Host, HostLease, Placement
from fabric.operations import OBSERVED, domain_spec, fabric_failures_heal
from fabric.watch import HostWatcher
from tests import factories
from tests.helpers.fabric import place_on_host
from tests.helpers.hosts import image_source, libvirt_host
from vms.models import Operation, VirtualMachine

Status = VirtualMachine.Status


@pytest.fixture(autouse=True)
def fresh_hosts():
    """Simulated hosts wherever the portal opens a libvirt connection (the healing's), forgotten after each test."""
    forget_hosts()
    connections.driver_factory_set(lambda host: SimulatedDriver(host.name))
    yield
    connections.driver_factory_set(None)
    forget_hosts()


class Hosts:
    """A driver factory over simulated hosts; a host named in `down` cannot be reached."""

    def __init__(self) -> None:
        self.down: set[str] = set()
        self.opened: list[str] = []

    def __call__(self, host: Host) -> SimulatedDriver:
        if host.name in self.down:
            raise DriverError(f"Host {host.name} cannot be reached: connection refused.")
        self.opened.append(host.name)
        return SimulatedDriver(host.name)


def running_vm(host: Host) -> tuple[VirtualMachine, Placement]:
    vm = factories.VirtualMachineFactory(status=Status.RUNNING)
    placement = place_on_host(vm, host)
    image_source(vm)
    driver = SimulatedDriver(host.name)
    driver.define(domain_spec(vm, placement))
    driver.start(placement.domain_name)
    return vm, placement


def test_each_host_is_held_by_one_worker_and_taken_over_when_its_worker_stops(db, settings):
    settings.FABRIC_LEASE_SECONDS = 10
    hosts = [libvirt_host(f"host-{i}", index=i) for i in range(4)]
    first, second = HostWatcher("worker-a", driver_factory=Hosts()), HostWatcher("worker-b", driver_factory=Hosts())
    now = timezone.now()

    held_a = first.watch(now=now)
    held_b = second.watch(now=now + timedelta(seconds=1))
    assert held_a == {host.pk for host in hosts}
    assert held_b == set()
    # worker-a keeps renewing: worker-b never takes a host from it.
    for second_count in range(2, 30, 3):
        assert first.watch(now=now + timedelta(seconds=second_count)) == held_a
        assert second.watch(now=now + timedelta(seconds=second_count + 1)) == set()

    # worker-a is killed: its heartbeat lapses and worker-b takes every host over, once the lease has lapsed.
    last = now + timedelta(seconds=29)
    assert second.watch(now=last + timedelta(seconds=9)) == set()
    assert second.watch(now=last + timedelta(seconds=11)) == held_a
    assert set(HostLease.objects.values_list("worker_id", flat=True)) == {"worker-b"}
    assert set(second.drivers) == held_a
    # worker-a comes back late: its lease is gone, so it lets go instead of driving the hosts too.
    assert first.watch(now=last + timedelta(seconds=12)) == set()
    assert first.drivers == {}


def test_a_machine_that_stops_by_itself_is_a_fabric_failure_healed_once_even_with_two_workers(db):
    host = libvirt_host("host-1", index=1)
    vm, placement = running_vm(host)
    first, second = HostWatcher("worker-a", driver_factory=Hosts()), HostWatcher("worker-b", driver_factory=Hosts())
    first.watch()
    second.watch()

    SimulatedDriver(host.name).crash(placement.domain_name)
    with TestCase.captureOnCommitCallbacks(execute=True):
        first.watch()
        second.watch()

    (operation,) = Operation.objects.filter(virtual_machine=vm, kind=Operation.Kind.FABRIC_FAILURE)
    assert operation.in_progress and operation.details[OBSERVED]
    assert "stopped by itself (failed)" in operation.title
    vm.refresh_from_db()
    assert vm.status == Status.FABRIC_FAILURE
    placement.refresh_from_db()
    assert placement.observed_state == DomainState.CRASHED

    assert fabric_failures_heal() == [operation.pk]
    assert SimulatedDriver(host.name).state(placement.domain_name) == DomainState.RUNNING
    vm.refresh_from_db()
    assert vm.status == Status.RUNNING
    first.watch()
    assert Operation.objects.filter(virtual_machine=vm, kind=Operation.Kind.FABRIC_FAILURE).count() == 1


def test_a_machine_found_stopped_when_its_host_is_listed_is_healed(db):
    host = libvirt_host("host-1", index=1)
    vm, placement = running_vm(host)
    SimulatedDriver(host.name).destroy(placement.domain_name)  # while no worker was watching

    with TestCase.captureOnCommitCallbacks(execute=True):
        HostWatcher("worker-a", driver_factory=Hosts()).watch()

    vm.refresh_from_db()
    assert vm.status == Status.FABRIC_FAILURE
    assert fabric_failures_heal()
    assert SimulatedDriver(host.name).state(placement.domain_name) == DomainState.RUNNING


def test_the_machines_of_an_unreachable_host_are_down_until_it_is_back(db):
    host = libvirt_host("host-1", index=1)
    other = libvirt_host("host-2", index=2)
    vm, _ = running_vm(host)
    bystander, _ = running_vm(other)
    hosts = Hosts()
    watcher = HostWatcher("worker-a", driver_factory=hosts)
    hosts.down.add(host.name)

    with TestCase.captureOnCommitCallbacks(execute=True):
        watcher.watch()

    host.refresh_from_db()
    vm.refresh_from_db()
    bystander.refresh_from_db()
    assert host.state == Host.State.UNREACHABLE
    assert (vm.status, bystander.status) == (Status.FABRIC_FAILURE, Status.RUNNING)
    (operation,) = Operation.objects.filter(virtual_machine=vm)
    assert "its host cannot be reached" in operation.title
    assert fabric_failures_heal() == []  # nothing to start while the host is away
    watcher.watch()
    assert Operation.objects.filter(virtual_machine=vm).count() == 1

    hosts.down.clear()
    watcher.watch()
    host.refresh_from_db()
    assert host.state == Host.State.AVAILABLE
    assert fabric_failures_heal() == [operation.pk]
    vm.refresh_from_db()
    assert vm.status == Status.RUNNING


def _topology(host_count: int, domains_per_host: int) -> None:
    """Hosts full of placed, running machines, made in bulk."""
    template = factories.VirtualMachineFactory(status=Status.RUNNING)
    vms = VirtualMachine.objects.bulk_create(
        [
            VirtualMachine(
                cloud_service=template.cloud_service,
                subscription=template.subscription,
                name=f"bulk{i}",
                image_version=template.image_version,
                size=template.size,
                storage_account=template.storage_account,
                admin_username="portaladmin",
                password_hash=template.password_hash,
                status=Status.RUNNING,
            )
            for i in range(host_count * domains_per_host)
        ]
    )
    hosts = [libvirt_host(f"bulk-host-{h}", index=h) for h in range(host_count)]
    placements = []
    for number, vm in enumerate(vms):
        host = hosts[number % host_count]
        index = number // host_count
        placements.append(
            Placement(
                virtual_machine=vm,
                host=host,
                domain_name=f"portal-{vm.pk}",
                mac_address=f"52:54:00:{(number >> 16) & 255:02x}:{(number >> 8) & 255:02x}:{number & 255:02x}",
                address=f"10.250.{hosts.index(host)}.{10 + index}",
            )
        )
        _run_on(host, vm, placements[-1])
    Placement.objects.bulk_create(placements)


def _run_on(host: Host, vm: VirtualMachine, placement: Placement) -> None:
    """Define and start the VM's machine on its simulated host, as the fabric's create does."""
    image_source(vm)
    driver = SimulatedDriver(host.name)
    driver.define(domain_spec(vm, placement))
    driver.start(placement.domain_name)


def _round_queries(host_count: int, domains_per_host: int) -> tuple[int, int]:
    _topology(host_count, domains_per_host)
    watcher = HostWatcher("worker-a", driver_factory=Hosts())
    with CaptureQueriesContext(connection) as first:
        watcher.watch()
    with CaptureQueriesContext(connection) as later:
        watcher.watch()
    return len(first), len(later)


def test_a_round_takes_the_same_queries_for_2_hosts_and_for_100_hosts_of_100_machines(db):
    small = _round_queries(2, 1)
    Placement.objects.all().delete()
    VirtualMachine.objects.all().delete()
    HostLease.objects.all().delete()
    Host.objects.all().delete()
    forget_hosts()

    large = _round_queries(100, 100)

    assert large[0] == small[0]
    assert large[1] == small[1]
