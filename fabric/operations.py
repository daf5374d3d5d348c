"""The fabric's carrier: every operation on a VM goes to its host's driver, or to the simulation for simulated hosts.

vms calls :func:`carry_out` through the carrier FabricConfig.ready registers (vms.fabric.carrier_register). A
failure the platform causes or observes (a rack failure drill, a machine that stopped by itself) destroys the domain
at once and leaves the operation in progress until its time has passed; :func:`fabric_failures_heal`, a job of the
worker's schedule, then starts every due machine side by side and ends their operations, so a rack of ten machines
failing for 30 seconds takes 30 seconds, not ten times that.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fabric.connections import host_driver
from fabric.drivers.base import DomainSpec, DomainState, Driver, DriverError
from fabric.models import Host, ImageSource, Placement
from vms import fabric as simulation
from vms.models import Operation, VirtualMachine
from vms.operations import PHASES, operation_complete, operation_enter_phase

logger = logging.getLogger(__name__)

Kind = Operation.Kind

STATE_POLL_SECONDS = 0.2
HEAL_THREADS = 8

# The operation's details that mark a failure waiting for service healing (its time is attempt_started_at).
HEALING = "fabric_healing"
# The operation's details of a failure the hosts reported (the machine is already down: nothing to destroy).
OBSERVED = "observed"


def carry_out(operation: Operation) -> str | None:
    """Carry out one operation on the VM's host: an error message, "" on success, None when healing ends it later."""
    placement = (
        Placement.objects.select_related("host", "virtual_machine__size", "virtual_machine__image_version")
        .filter(virtual_machine_id=operation.virtual_machine_id)
        .first()
    )
    if placement is None or placement.host.simulated:
        return simulation.simulate(operation)
    if operation.kind == Kind.FABRIC_FAILURE and operation.details.get(OBSERVED):
        return _heal_later(operation)  # the hosts reported it down (or its host is unreachable): nothing to stop
    try:
        driver = host_driver(placement.host)
        with simulation.planned_operation_guarded(operation):
            return _carry_out_on(driver, operation, placement)
    except DriverError as error:
        return f"{error.message}{_read_back(placement)}"


def _carry_out_on(driver: Driver, operation: Operation, placement: Placement) -> str | None:
    vm = placement.virtual_machine
    name = placement.domain_name
    shutdown_timeout = settings.FABRIC_SHUTDOWN_TIMEOUT_SECONDS
    kind = operation.kind
    if kind == Kind.CREATE:
        spec = domain_spec(vm, placement)
        driver.define(spec)
        try:
            driver.start(name)
            _wait_running(driver, name)
        except DriverError:
            _undefine_quietly(driver, name)
            raise
    elif kind == Kind.START:
        driver.start(name)
        _wait_running(driver, name)
    elif kind == Kind.SHUT_DOWN:
        driver.shut_down(name, timeout=shutdown_timeout)
    elif kind == Kind.RESTART:
        driver.restart(name, timeout=shutdown_timeout)
        _wait_running(driver, name)
    elif kind == Kind.CONFIGURE:
        driver.resize(name, vcpus=vm.size.cores, memory_mib=vm.size.memory_mb)
        driver.restart(name, timeout=shutdown_timeout)
        _wait_running(driver, name)
    elif kind == Kind.DELETE:
        driver.destroy(name)
        driver.undefine(name)
    elif kind == Kind.UPDATE:
        driver.shut_down(name, timeout=shutdown_timeout)
        for status in PHASES[Kind.UPDATE]:
            if not operation_enter_phase(operation_id=operation.pk, attempt=operation.attempts, status=status):
                return ""  # superseded
        driver.start(name)
        _wait_running(driver, name)
    elif kind == Kind.FABRIC_FAILURE:
        if not operation.details.get(OBSERVED):
            driver.destroy(name)
            _observed(placement, driver.state(name))
        return _heal_later(operation)
    else:
        return f"The fabric cannot carry out {operation.get_kind_display()} on a libvirt host."
    _observed(placement, driver.state(name))
    return ""


def domain_spec(vm: VirtualMachine, placement: Placement) -> DomainSpec:
    """Describe the VM to its host: its size, its image's source, its name, user and address."""
    source = ImageSource.objects.filter(image_version_id=vm.image_version_id).first()
    if source is None:
        raise DriverError(
            f"Image {vm.image_version} has no source on the fabric's hosts: staff register its base volume "
            "(or kernel and initrd) as an image source first."
        )
    network = ipaddress.IPv4Network(placement.host.subnet)
    return DomainSpec(
        name=placement.domain_name,
        vcpus=vm.size.cores,
        memory_mib=vm.size.memory_mb,
        image=source.boot_source(),
        hostname=vm.name,
        admin_username=vm.admin_username,
        network=placement.host.network,
        mac=placement.mac_address,
        password_crypt=vm.password_crypt,
        ssh_public_key=vm.ssh_public_key,
        address=placement.address,
        prefix=network.prefixlen,
        gateway=str(network.network_address + 1),
    )


def _wait_running(driver: Driver, name: str) -> None:
    """Wait (at most FABRIC_START_TIMEOUT_SECONDS) until the host reports the machine running."""
    deadline = time.monotonic() + settings.FABRIC_START_TIMEOUT_SECONDS
    while (state := driver.state(name)) != DomainState.RUNNING:
        if time.monotonic() >= deadline:
            raise DriverError(
                f"Host {driver.host} started {name}, but it was not running after "
                f"{settings.FABRIC_START_TIMEOUT_SECONDS:g} seconds (it is {state.value.replace('_', ' ')})."
            )
        time.sleep(STATE_POLL_SECONDS)


def _undefine_quietly(driver: Driver, name: str) -> None:
    try:
        driver.undefine(name)
    except DriverError:
        logger.warning("Host %s kept %s after a failed create", driver.host, name)


def _read_back(placement: Placement) -> str:
    """Read the machine's state back from its host after a failure; say it when the host answers."""
    try:
        state = host_driver(placement.host).state(placement.domain_name)
    except DriverError:
        return ""
    _observed(placement, state)
    return f" The host reports it {state.value.replace('_', ' ')}."


def _observed(placement: Placement, state: DomainState) -> None:
    Placement.objects.filter(pk=placement.pk).update(observed_state=state.value, observed_at=timezone.now())


def _heal_later(operation: Operation) -> None:
    """Leave the failure in progress until its seconds have passed; the healing job starts the machine then."""
    seconds = float(operation.details.get("failure_seconds", 0))
    with transaction.atomic():
        locked = Operation.objects.select_for_update().filter(pk=operation.pk, attempts=operation.attempts).first()
        if locked is None or not locked.in_progress:
            return None
        locked.details = {**locked.details, HEALING: True}
        # The attempt's clock starts when healing is due, so the recovery sweep leaves the failure its time.
        locked.attempt_started_at = timezone.now() + timedelta(seconds=seconds)
        locked.save(update_fields=["details", "attempt_started_at"])
    return None


def fabric_failures_heal(*, now: datetime | None = None) -> list[int]:
    """Start every machine whose failure's time has passed (or was cut short), side by side, and end its operation.

    A failure on a host that cannot be reached waits for the host: its clock is moved on, so it is not given up.
    Returns the ids of the operations it ended.
    """
    now = now or timezone.now()
    waiting = Operation.objects.filter(
        status=Operation.Status.IN_PROGRESS, kind=Kind.FABRIC_FAILURE, **{f"details__{HEALING}": True}
    )
    waiting.filter(virtual_machine__placement__host__state=Host.State.UNREACHABLE).update(attempt_started_at=now)
    due = list(
        waiting.filter(Q(attempt_started_at__lte=now) | Q(details__cut_short=True))
        .exclude(virtual_machine__placement__host__state=Host.State.UNREACHABLE)
        .select_related("virtual_machine__placement__host")
    )
    if not due:
        return []
    for operation in due:
        for status in PHASES[Kind.FABRIC_FAILURE]:
            operation_enter_phase(operation_id=operation.pk, attempt=operation.attempts, status=status)
    with ThreadPoolExecutor(max_workers=min(HEAL_THREADS, len(due)), thread_name_prefix="fabric-heal") as pool:
        errors = list(pool.map(_start, [operation.virtual_machine.placement for operation in due]))
    started = [
        operation.virtual_machine.placement.pk for operation, error in zip(due, errors, strict=True) if not error
    ]
    # Their hosts reported them running (_start waits for it): record it now, before their events arrive.
    Placement.objects.filter(pk__in=started).update(
        observed_state=DomainState.RUNNING.value, observed_at=timezone.now()
    )
    for operation, error in zip(due, errors, strict=True):
        operation_complete(operation_id=operation.pk, attempt=operation.attempts, error=error)
    return [operation.pk for operation in due]


def _start(placement: Placement) -> str:
    """Start one machine again (service healing), with no database work: this runs in the healing's threads."""
    try:
        driver = host_driver(placement.host)
        driver.start(placement.domain_name)
        _wait_running(driver, placement.domain_name)
    except DriverError as error:
        return error.message
    return ""
