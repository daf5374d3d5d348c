"""Operations on VMs placed on libvirt hosts go through the host's driver (a SimulatedDriver stands in for libvirt)."""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from fabric import connections
from fabric.cloud_init import render_user_data
from fabric.drivers.base import DomainState
from fabric.drivers.simulated import SimulatedDriver, forget_hosts
from fabric.models import Placement
from fabric.operations import domain_spec, fabric_failures_heal
from tests import factories
from tests.helpers.fabric import place_on_host
from tests.helpers.hosts import image_source, libvirt_host
from vms import fabric as vms_fabric
from vms.models import Operation, VirtualMachine
from vms.services.operations import operation_begin
from vms.validators import ssh_certificate_read

Kind = Operation.Kind
Status = VirtualMachine.Status


@pytest.fixture
def hosts_simulated():
    """Open a SimulatedDriver wherever the portal would open a libvirt connection."""
    forget_hosts()
    connections.driver_factory_set(lambda host: SimulatedDriver(host.name))
    yield
    connections.driver_factory_set(None)
    forget_hosts()


@pytest.fixture
def host(db, hosts_simulated):
    return libvirt_host("host-1", index=1)


def begin(vm: VirtualMachine, kind: str, **details) -> Operation:
    """Begin an operation as the services do; the worker carries it out when the transaction commits."""
    with TestCase.captureOnCommitCallbacks(execute=True), transaction.atomic():
        vm = VirtualMachine.objects.select_for_update().get(pk=vm.pk)
        operation = operation_begin(vm=vm, kind=kind, title=f"{kind} {vm.name}", user=None, details=details)
    operation.refresh_from_db()
    return operation


def defined(vm: VirtualMachine, placement: Placement, state: DomainState = DomainState.RUNNING) -> SimulatedDriver:
    driver = SimulatedDriver(placement.host.name)
    image_source(vm)
    driver.define(domain_spec(vm, placement))
    if state == DomainState.RUNNING:
        driver.start(placement.domain_name)
    return driver


def test_a_create_defines_the_domain_from_the_size_and_the_image_source_and_starts_it(host):
    vm = factories.VirtualMachineFactory(status=Status.PROVISIONING)
    placement = place_on_host(vm, host)
    image_source(vm, kernel="k", initrd="i", cmdline="portal.ip={address}/{prefix} portal.gw={gateway}")

    operation = begin(vm, Kind.CREATE)

    assert operation.status == Operation.Status.SUCCEEDED, operation.message
    driver = SimulatedDriver(host.name)
    (info,) = driver.list()
    assert (info.name, info.state) == (placement.domain_name, DomainState.RUNNING)
    assert (info.vcpus, info.memory_mib) == (vm.size.cores, vm.size.memory_mb)
    spec = domain_spec(vm, placement)
    assert spec.cmdline() == f"portal.ip={placement.address}/24 portal.gw=10.250.1.1"
    placement.refresh_from_db()
    assert placement.observed_state == DomainState.RUNNING


def test_a_vm_made_with_an_ssh_certificate_gives_its_guest_the_key_for_the_new_user(host):
    certificate = ssh_certificate_read(factories.certificate_pem())
    vm = factories.VirtualMachineFactory(
        status=Status.PROVISIONING,
        ssh_certificate_thumbprint=certificate.thumbprint,
        ssh_public_key=certificate.public_key,
        password_hash="",
        password_crypt="",
    )
    image_source(vm)

    spec = domain_spec(vm, place_on_host(vm, host))

    admin = json.loads(render_user_data(spec).removeprefix("#cloud-config\n"))["users"][0]
    assert admin["ssh_authorized_keys"] == [certificate.public_key]
    assert admin["name"] == vm.admin_username and admin["lock_passwd"] is True


def test_a_create_whose_image_is_not_on_the_host_fails_with_that_reason_and_leaves_nothing(host):
    vm = factories.VirtualMachineFactory(status=Status.PROVISIONING)
    place_on_host(vm, host)
    image_source(vm, volume="debian-12.qcow2")
    SimulatedDriver(host.name).add_volume("something-else.qcow2")

    operation = begin(vm, Kind.CREATE)

    assert operation.status == Operation.Status.FAILED
    assert "Image debian-12.qcow2 is not on host host-1" in operation.message
    assert "Traceback" not in operation.message
    assert not VirtualMachine.objects.filter(pk=vm.pk).exists()
    assert SimulatedDriver(host.name).list() == []


def test_an_image_without_a_source_fails_the_create_saying_so(host):
    vm = factories.VirtualMachineFactory(status=Status.PROVISIONING)
    place_on_host(vm, host)

    operation = begin(vm, Kind.CREATE)

    assert operation.status == Operation.Status.FAILED
    assert "has no source on the fabric's hosts" in operation.message


def test_power_operations_drive_the_domain(host):
    vm = factories.VirtualMachineFactory(status=Status.RUNNING)
    placement = place_on_host(vm, host)
    driver = defined(vm, placement)

    assert begin(vm, Kind.SHUT_DOWN).status == Operation.Status.SUCCEEDED
    assert driver.state(placement.domain_name) == DomainState.STOPPED
    assert begin(vm, Kind.START).status == Operation.Status.SUCCEEDED
    assert driver.state(placement.domain_name) == DomainState.RUNNING
    assert begin(vm, Kind.RESTART).status == Operation.Status.SUCCEEDED
    assert begin(vm, Kind.UPDATE).status == Operation.Status.SUCCEEDED
    assert driver.state(placement.domain_name) == DomainState.RUNNING
    vm.refresh_from_db()
    assert vm.status == Status.RUNNING


def test_configure_resizes_the_domain_and_restarts_it(host):
    vm = factories.VirtualMachineFactory(status=Status.RUNNING)
    placement = place_on_host(vm, host)
    driver = defined(vm, placement)
    vm.size = factories.size("Medium")
    vm.save(update_fields=["size"])

    assert begin(vm, Kind.CONFIGURE).status == Operation.Status.SUCCEEDED

    (info,) = driver.list()
    assert (info.vcpus, info.memory_mib, info.state) == (vm.size.cores, vm.size.memory_mb, DomainState.RUNNING)


def test_delete_removes_the_domain(host):
    vm = factories.VirtualMachineFactory(status=Status.RUNNING)
    placement = place_on_host(vm, host)
    driver = defined(vm, placement)

    assert begin(vm, Kind.DELETE).status == Operation.Status.SUCCEEDED

    assert driver.state(placement.domain_name) == DomainState.MISSING
    assert not VirtualMachine.objects.filter(pk=vm.pk).exists()


def test_a_driver_error_fails_the_operation_with_its_sentence_and_the_state_read_back(host):
    vm = factories.VirtualMachineFactory(status=Status.STOPPED)
    placement = place_on_host(vm, host)
    driver = defined(vm, placement, DomainState.STOPPED)
    driver.fail("start", "Host host-1 could not start the machine: no memory left.")

    operation = begin(vm, Kind.START)

    assert operation.status == Operation.Status.FAILED
    assert "Host host-1 could not start the machine: no memory left. The host reports it stopped." in operation.message
    assert "Traceback" not in operation.message
    vm.refresh_from_db()
    assert vm.status == Status.STOPPED


def test_a_rack_failure_stops_its_machines_at_once_and_healing_starts_them_together_once_the_time_has_passed(host):
    vms = [factories.VirtualMachineFactory(status=Status.RUNNING) for _ in range(10)]
    placements = [place_on_host(vm, host) for vm in vms]
    driver = SimulatedDriver(host.name)
    for vm, placement in zip(vms, placements, strict=True):
        defined(vm, placement)

    started = timezone.now()
    operations = [begin(vm, Kind.FABRIC_FAILURE, failure_seconds=30) for vm in vms]

    assert {driver.state(p.domain_name) for p in placements} == {DomainState.STOPPED}
    assert set(
        Placement.objects.filter(pk__in=[p.pk for p in placements]).values_list("observed_state", flat=True)
    ) == {"stopped"}
    assert {operation.status for operation in operations} == {Operation.Status.IN_PROGRESS}
    assert fabric_failures_heal(now=started + timedelta(seconds=29)) == []
    assert {driver.state(p.domain_name) for p in placements} == {DomainState.STOPPED}

    healed = fabric_failures_heal(now=started + timedelta(seconds=31))

    assert sorted(healed) == sorted(operation.pk for operation in operations)
    assert {driver.state(p.domain_name) for p in placements} == {DomainState.RUNNING}
    # What the host reported when each started is recorded at once, not only when its event arrives.
    assert set(
        Placement.objects.filter(pk__in=[p.pk for p in placements]).values_list("observed_state", flat=True)
    ) == {"running"}
    assert set(Operation.objects.filter(pk__in=healed).values_list("status", flat=True)) == {"succeeded"}
    assert set(VirtualMachine.objects.filter(pk__in=[vm.pk for vm in vms]).values_list("status", flat=True)) == {
        Status.RUNNING
    }


def test_a_failure_cut_short_is_healed_at_once(host):
    vm = factories.VirtualMachineFactory(status=Status.RUNNING)
    placement = place_on_host(vm, host)
    driver = defined(vm, placement)
    operation = begin(vm, Kind.FABRIC_FAILURE, failure_seconds=300)
    Operation.objects.filter(pk=operation.pk).update(details={**operation.details, "cut_short": True})

    assert fabric_failures_heal() == [operation.pk]
    assert driver.state(placement.domain_name) == DomainState.RUNNING


def test_a_vm_on_a_simulated_host_or_without_a_placement_keeps_the_simulated_fabric(db, hosts_simulated):
    vm = factories.VirtualMachineFactory(status=Status.STOPPED)

    operation = begin(vm, Kind.START)

    assert operation.status == Operation.Status.SUCCEEDED
    vm.refresh_from_db()
    assert vm.status == Status.RUNNING


@pytest.fixture
def guard_calls(monkeypatch):
    """Register a guard that records what it wraps and the domain's state before and after."""
    calls: list[tuple[str, str, str]] = []

    @contextlib.contextmanager
    def guard(operation: Operation):
        placement = Placement.objects.get(virtual_machine_id=operation.virtual_machine_id)
        driver = SimulatedDriver(placement.host.name)
        calls.append(("before", operation.kind, driver.state(placement.domain_name).value))
        yield
        calls.append(("after", operation.kind, driver.state(placement.domain_name).value))

    monkeypatch.setattr(vms_fabric, "_guards", [])
    vms_fabric.planned_operation_guard_register(guard)
    return calls


def test_planned_operations_and_starts_run_inside_the_registered_guards(host, guard_calls):
    vm = factories.VirtualMachineFactory(status=Status.RUNNING)
    placement = place_on_host(vm, host)
    defined(vm, placement)

    for kind in (Kind.RESTART, Kind.CONFIGURE, Kind.UPDATE, Kind.SHUT_DOWN, Kind.START):
        assert begin(vm, kind).status == Operation.Status.SUCCEEDED

    running, stopped = DomainState.RUNNING.value, DomainState.STOPPED.value
    assert guard_calls == [
        ("before", Kind.RESTART, running),
        ("after", Kind.RESTART, running),
        ("before", Kind.CONFIGURE, running),
        ("after", Kind.CONFIGURE, running),
        ("before", Kind.UPDATE, running),
        ("after", Kind.UPDATE, running),
        ("before", Kind.SHUT_DOWN, running),
        ("after", Kind.SHUT_DOWN, stopped),
        ("before", Kind.START, stopped),
        ("after", Kind.START, running),
    ]


def test_failures_and_deletes_pass_the_guards_by(host, guard_calls):
    failing, deleted = (factories.VirtualMachineFactory(status=Status.RUNNING) for _ in range(2))
    for vm in (failing, deleted):
        defined(vm, place_on_host(vm, host))

    begin(failing, Kind.FABRIC_FAILURE, failure_seconds=0)
    begin(deleted, Kind.DELETE)

    assert guard_calls == []
