"""The maintenance run the worker walks: per round, shut the VMs down, maintain the hosts, start the VMs again.

Each round's VM work is a vms Operation (the activity log and the notifications show it) whose end calls the run's
follow-up; the hosts' own step (the maintenance command, the reboot, the wait for the host to answer) runs in the
worker between the two, outside any transaction.
"""

from __future__ import annotations

import subprocess
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from applications.selectors import load_balanced_sets_for
from balancer.rotation import failed_requests_by_set
from fabric.connections import new_driver
from fabric.drivers.base import DriverError
from fabric.models import Host, Placement
from maintenance.models import MaintenanceEvent, MaintenanceRun
from maintenance.selectors import down_now
from vms.models import Operation, VirtualMachine
from vms.services.machines import virtual_machines_hold, virtual_machines_not_holdable, virtual_machines_release
from vms.services.operations import operation_begin

# The task that hears of the end of each round's operations (vms calls it by name: it may not import this app).
MAINTENANCE_FOLLOW_UP = "maintenance.round_operation_ended"
OUTPUT_KEPT = 20_000

Phase = MaintenanceRun.Phase
Status = MaintenanceRun.Status

# What _advance_once asks of its caller.
AGAIN = "again"
HOSTS = "hosts"


def run_event(run: MaintenanceRun, text: str, *, output: str = "", down_roles: dict | None = None) -> MaintenanceEvent:
    """Add a moment to the run's timeline; without `down_roles`, what is down stays as it last was."""
    if down_roles is None:
        last = run.events.order_by("-at", "-pk").first()
        down_roles = last.down_roles if last else {}
    return MaintenanceEvent.objects.create(
        run=run,
        at=timezone.now(),
        round=run.round,
        text=text[:300],
        output=output[-OUTPUT_KEPT:],
        down_roles=down_roles,
    )


def run_observe(run: MaintenanceRun) -> None:
    """Record which roles are down, as the VMs' real states show them, when that changed."""
    down = down_now([prediction["application_id"] for prediction in run.predictions])
    last = run.events.order_by("-at", "-pk").first()
    if last is not None and last.down_roles == down:
        return
    names = {str(p["application_id"]): p["application"] for p in run.predictions}
    if down:
        text = "Down now: " + "; ".join(f"{names.get(key, key)}: {', '.join(roles)}" for key, roles in down.items())
    else:
        text = "Every application is up."
    run_event(run, text, down_roles=down)


def maintenance_advance(*, run_id: int) -> None:
    """Move a run on as far as it can go now: the next phase of the round, the hosts' step, or the next round."""
    while True:
        action = _advance_once(run_id)
        if action == HOSTS:
            hosts_maintain(run_id=run_id)
        elif action != AGAIN:
            return


@transaction.atomic
def _advance_once(run_id: int) -> str:
    run = MaintenanceRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or not run.active:
        return ""
    run_observe(run)
    if run.phase == Phase.HOSTS:
        return ""  # the hosts' step is under way in the worker; it hands over when it ends
    operations = list(Operation.objects.filter(pk__in=run.round_operations))
    if any(operation.in_progress for operation in operations):
        return ""
    if failed := [operation for operation in operations if operation.status == Operation.Status.FAILED]:
        run_end(run, Status.FAILED, f"Round {run.round}: {failed[0].message}")
        return ""
    if run.phase == Phase.SHUTTING_DOWN:
        hosts = _round_hosts(run)
        Host.objects.filter(pk__in=[host.pk for host in hosts]).update(state=Host.State.MAINTENANCE)
        _save(run, phase=Phase.HOSTS, round_operations=[])
        run_event(run, f"{_names(hosts)} in Maintenance.")
        return HOSTS
    if run.phase == Phase.HOSTS_DONE:
        return AGAIN if not _start_round_vms(run) else ""
    if run.phase in {Phase.STARTING, Phase.ROTATION}:
        if waiting := _out_of_rotation(run.round_vms):
            if run.phase != Phase.ROTATION:
                _save(run, phase=Phase.ROTATION)
                verb = "is" if len(waiting) == 1 else "are"
                run_event(run, f"{', '.join(waiting)} {verb} running; waiting until back in rotation.")
            return ""
        _round_end(run)
        return AGAIN
    # Between rounds.
    if run.stop_requested:
        run_end(run, Status.STOPPED, f"Stopped on request after round {run.round}.")
        return ""
    if run.round >= len(run.plan["rounds"]):
        run_end(run, Status.COMPLETED, "")
        return ""
    return AGAIN if _round_begin(run) else ""


def _save(run: MaintenanceRun, **fields) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=[*fields, "updated_at"])


def _round_hosts(run: MaintenanceRun) -> list[Host]:
    host_ids = run.plan["rounds"][run.round - 1]["hosts"]
    return list(Host.objects.filter(pk__in=host_ids).order_by("name", "pk"))


def _names(hosts: list[Host]) -> str:
    return ", ".join(host.name for host in hosts) or "no host"


def _round_begin(run: MaintenanceRun) -> bool:
    """Begin the next round: hold every VM on its hosts and shut the running ones down; True when none runs.

    Each Shut down is a planned operation: on a libvirt host, the load balancer's guard (balancer.rotation.drained)
    drains the VM's members first, and the Start that ends the round puts them back once they answer their probes.
    """
    run.round += 1
    hosts = _round_hosts(run)
    vm_ids = list(Placement.objects.filter(host__in=hosts).values_list("virtual_machine_id", flat=True))
    vms = list(VirtualMachine.objects.select_for_update().filter(pk__in=vm_ids).order_by("name", "pk"))
    blocked = virtual_machines_not_holdable(vms=vms)
    if blocked is not None:
        vm, _reason = blocked
        why = f"held by {vm.held_by}" if vm.held_by else vm.get_status_display()
        run.save(update_fields=["round", "updated_at"])
        run_end(run, Status.FAILED, f"Round {run.round}: {vm.name} is {why}; the round did not begin.")
        return False
    virtual_machines_hold(vms=vms, holder=run.holder)
    run.plan["rounds"][run.round - 1]["failed_before"] = {str(key): n for key, n in failed_requests_by_set().items()}
    running = [vm for vm in vms if vm.status == VirtualMachine.Status.RUNNING]
    operation_ids = [_round_operation(run, vm, Operation.Kind.SHUT_DOWN, f"shutting down {vm.name}") for vm in running]
    _save(
        run,
        round=run.round,
        plan=run.plan,
        phase=Phase.SHUTTING_DOWN,
        round_operations=operation_ids,
        round_vms=[vm.pk for vm in running],
    )
    names = ", ".join(vm.name for vm in running) or "no running virtual machine"
    run_event(run, f"Round {run.round} begins on {_names(hosts)}: {names} shut down.")
    return not operation_ids


def _start_round_vms(run: MaintenanceRun) -> bool:
    """Start the round's VMs again on their maintained hosts; True when there is one to wait for."""
    vms = list(VirtualMachine.objects.select_for_update().filter(pk__in=run.round_vms).order_by("name", "pk"))
    operation_ids = [
        _round_operation(run, vm, Operation.Kind.START, f"starting {vm.name} again")
        for vm in vms
        if vm.status == VirtualMachine.Status.STOPPED
    ]
    _save(run, phase=Phase.STARTING, round_operations=operation_ids)
    run_event(run, f"Starting {', '.join(vm.name for vm in vms) or 'no virtual machine'} again.")
    return bool(operation_ids)


def _round_operation(run: MaintenanceRun, vm: VirtualMachine, kind: str, doing: str) -> int:
    """Begin one VM's operation of the round, which moves the run on when it ends; return its id."""
    return operation_begin(
        vm=vm,
        kind=kind,
        title=f"Host maintenance: {doing} (round {run.round})",
        user=run.started_by,
        details={"maintenance": run.pk, "follow_up": MAINTENANCE_FOLLOW_UP},
    ).pk


def _out_of_rotation(vm_ids: list[int]) -> list[str]:
    """Name the VMs that are members of a load-balanced set and in the rotation of none yet."""
    balanced = load_balanced_sets_for(vm_ids)
    waiting = [pk for pk in vm_ids if balanced.get(pk) and not any(rotation[pk] for _, rotation in balanced[pk])]
    return list(VirtualMachine.objects.filter(pk__in=waiting).order_by("name").values_list("name", flat=True))


def _requests_count(run: MaintenanceRun) -> None:
    """Keep, per load-balanced set, the connections its load balancer failed since the round began (in the plan)."""
    if not run.round:
        return
    round_plan = run.plan["rounds"][run.round - 1]
    before = round_plan.get("failed_before")
    if before is None or "requests_lost" in round_plan:
        return
    lost = {}
    for key, count in failed_requests_by_set().items():
        if (was := before.get(str(key))) is not None:
            lost[str(key)] = count - was if count >= was else count  # a reload started counting from zero again
    round_plan["requests_lost"] = lost
    run.save(update_fields=["plan", "updated_at"])


def _round_end(run: MaintenanceRun) -> None:
    hosts = _round_hosts(run)
    Host.objects.filter(pk__in=[host.pk for host in hosts], state=Host.State.MAINTENANCE).update(
        state=Host.State.AVAILABLE
    )
    _release(run)
    _requests_count(run)
    _save(run, phase=Phase.IDLE, round_operations=[], round_vms=[])
    run_event(run, f"Round {run.round} ends: {_names(hosts)} available, their VMs running.")


def _release(run: MaintenanceRun) -> None:
    vm_ids = list(VirtualMachine.objects.filter(held_by=run.holder).values_list("pk", flat=True))
    virtual_machines_release(vm_ids=vm_ids, holder=run.holder)


def run_end(run: MaintenanceRun, status: str, outcome: str) -> None:
    """End the run: release its holds and say how it ended, and what a failure left down."""
    if status == Status.FAILED and run.round:
        left = list(
            VirtualMachine.objects.filter(pk__in=run.round_vms)
            .exclude(status=VirtualMachine.Status.RUNNING)
            .order_by("name")
            .values_list("name", flat=True)
        )
        in_maintenance = [host.name for host in _round_hosts(run) if host.state == Host.State.MAINTENANCE]
        if left:
            outcome += f" Left stopped: {', '.join(left)}."
        if in_maintenance:
            outcome += f" Left in Maintenance: {', '.join(in_maintenance)}."
    _release(run)
    _requests_count(run)
    _save(run, status=status, phase=Phase.IDLE, outcome=outcome.strip(), ended_at=timezone.now())
    run_event(run, f"The maintenance {run.get_status_display().lower()}. {run.outcome}".strip())


# The hosts' step: the maintenance command, the reboot, the wait for the host to answer. -------------------------


def hosts_maintain(*, run_id: int) -> None:
    """Maintain the round's hosts one after the other; hand over to the VMs' start, or end the run where one failed."""
    run = MaintenanceRun.objects.get(pk=run_id)
    for host in _round_hosts(run):
        error = _host_maintain(run, host)
        if error:
            with transaction.atomic():
                locked = MaintenanceRun.objects.select_for_update().get(pk=run_id)
                if locked.active and locked.phase == Phase.HOSTS:
                    run_end(locked, Status.FAILED, f"Round {locked.round}, host {host.name}: {error}")
            return
    with transaction.atomic():
        locked = MaintenanceRun.objects.select_for_update().get(pk=run_id)
        if locked.active and locked.phase == Phase.HOSTS:
            _save(locked, phase=Phase.HOSTS_DONE)


def _host_maintain(run: MaintenanceRun, host: Host) -> str:
    """Run the host's command, then reboot it (simulated) or wait until it answers libvirt; an error, or ""."""
    deadline = time.monotonic() + host.maintenance_timeout_seconds
    if host.maintenance_command:
        run_event(run, f"{host.name}: running its maintenance command.")
        try:
            result = subprocess.run(  # noqa: S603 - staff configure the command; it runs without a shell of ours
                ["/bin/sh", "-c", host.maintenance_command],
                capture_output=True,
                text=True,
                timeout=host.maintenance_timeout_seconds,
                env={"PATH": "/usr/local/bin:/usr/bin:/bin", "PORTAL_HOST": host.name, "PORTAL_HOST_URI": host.uri},
                check=False,
            )
        except subprocess.TimeoutExpired as error:
            output = _text(error.stdout) + _text(error.stderr)
            message = f"the maintenance command ran past its {host.maintenance_timeout_seconds} seconds."
            run_event(run, f"{host.name}: {message}", output=output)
            return message
        output = result.stdout + result.stderr
        if result.returncode:
            message = f"the maintenance command exited with status {result.returncode}."
            run_event(run, f"{host.name}: {message}", output=output)
            return message
        run_event(run, f"{host.name}: the maintenance command succeeded.", output=output)
    if host.simulated:
        run_event(run, f"{host.name}: rebooting (simulated).")
        time.sleep(settings.MAINTENANCE_SIMULATED_REBOOT_SECONDS)
        run_event(run, f"{host.name} is back.")
        return ""
    error = _wait_answers(host, deadline)
    if error:
        run_event(run, f"{host.name}: {error}")
        return error
    run_event(run, f"{host.name} answers libvirt again.")
    Host.objects.filter(pk=host.pk).update(last_seen=timezone.now())
    return ""


def _text(value: bytes | str | None) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value or ""


def _wait_answers(host: Host, deadline: float) -> str:
    """Ask the host for its machines until it answers, with a connection of its own each time, until the deadline."""
    last = ""
    while True:
        try:
            driver = new_driver(host)
            try:
                driver.list()
                return ""
            finally:
                driver.close()
        except DriverError as error:
            last = error.message
        if time.monotonic() >= deadline:
            return f"the host did not answer libvirt within {host.maintenance_timeout_seconds} seconds ({last})."
        time.sleep(settings.MAINTENANCE_HOST_POLL_SECONDS)


# The worker's schedule. -------------------------------------------------------------------------------------------


def maintenance_runs_waiting_advance() -> list[int]:
    """Look again at every run waiting for its round's VMs to return to rotation; the probes bring them back."""
    waiting = list(
        MaintenanceRun.objects.filter(status__in=[Status.RUNNING, Status.STOPPING], phase=Phase.ROTATION).values_list(
            "pk", flat=True
        )
    )
    for run_id in waiting:
        maintenance_advance(run_id=run_id)
    return waiting


def maintenance_runs_recover_stale(*, now: datetime | None = None) -> list[int]:
    """Drive on runs whose worker stopped between steps; end as failed a run whose hosts' step was abandoned."""
    now = now or timezone.now()
    timeout = timedelta(seconds=settings.OPERATION_TIMEOUT_SECONDS)
    recovered = []
    for run in MaintenanceRun.objects.filter(
        status__in=[Status.RUNNING, Status.STOPPING], updated_at__lt=now - timeout
    ):
        if Operation.objects.filter(pk__in=run.round_operations, status=Operation.Status.IN_PROGRESS).exists():
            continue  # the operations' own recovery retries or fails them, and their end advances the run
        if run.phase == Phase.HOSTS:
            hosts = _round_hosts(run)
            limit = timedelta(seconds=sum(host.maintenance_timeout_seconds for host in hosts)) + 3 * timeout
            if run.updated_at >= now - limit:
                continue
            with transaction.atomic():
                locked = MaintenanceRun.objects.select_for_update().get(pk=run.pk)
                if locked.active and locked.phase == Phase.HOSTS:
                    run_end(
                        locked, Status.FAILED, f"Round {locked.round}: the worker stopped while maintaining the hosts."
                    )
        else:
            maintenance_advance(run_id=run.pk)
        recovered.append(run.pk)
    return recovered
