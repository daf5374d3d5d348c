"""The drill engine the worker runs: each step's operations, what the VMs' real states show, and the report."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from applications import assessment as model
from applications.models import Drill, DrillEvent
from applications.selectors import ApplicationView, application_view
from vms.models import Operation, VirtualMachine
from vms.services.machines import virtual_machines_release
from vms.services.operations import operation_begin

# The task that hears of the end of each step's operations (vms calls it by name: it may not import this app).
DRILL_FOLLOW_UP = "applications.drill_step_operation_ended"


def drill_last_event(drill: Drill) -> DrillEvent | None:
    """Return the latest moment of the drill's timeline."""
    return drill.events.order_by("-at", "-pk").first()


def drill_event(drill: Drill, text: str, last: DrillEvent | None, **state) -> DrillEvent:
    """Add a moment to the timeline; without a state given, the application's state stays as it last was."""
    state = state or {
        "application_up": last.application_up if last else True,
        "down_roles": last.down_roles if last else [],
        "blamed": last.blamed if last else "",
    }
    return DrillEvent.objects.create(drill=drill, at=timezone.now(), text=text[:300], **state)


def _why(view: ApplicationView, blamed: int | None) -> str:
    role = next((r for r in view.roles if r.role.pk == blamed), None)
    if role is None:
        return ""
    states = ", ".join(f"{m.name} {m.status_label}" for m in role.value.members) or "no members"
    return f"{role.role.name} has no member up ({states})"


def drill_observe(drill: Drill, view: ApplicationView, *, text: str = "", force: bool = False) -> None:
    """Record the application's state as the VMs' real states show it, when it changed or a step began."""
    now = view.assessment.now
    down = [view.role_name(key) for key in now.down_roles]
    blamed = view.role_name(now.blamed)
    last = drill_last_event(drill)
    changed = last is None or last.application_up != now.up or last.down_roles != down
    if not (changed or force):
        return
    if changed:
        status = "The application is up." if now.up else f"The application is down: {_why(view, now.blamed)}."
        text = f"{text} {status}".strip()
    drill_event(drill, text, last, application_up=now.up, down_roles=down, blamed=blamed)
    if not now.up:
        seen = set(drill.observed_down) | set(down)
        drill.went_down = True
        drill.observed_down = [role.role.name for role in view.roles if role.role.name in seen]
        keys = [role.role.pk for role in view.roles if role.role.name in seen]
        drill.observed_blame = view.role_name(model.deepest(view.value, keys))
        drill.save(update_fields=["went_down", "observed_down", "observed_blame", "updated_at"])


def drill_advance(*, drill_id: int) -> None:
    """Move a drill on once every operation of its step has ended: the next step, or the end."""
    while _advance_once(drill_id):
        pass  # a step with nothing to wait for: look again at once


@transaction.atomic
def _advance_once(drill_id: int) -> bool:
    """Take one look at the drill; True when it began a step that has nothing to wait for."""
    drill = Drill.objects.select_for_update().select_related("application").filter(pk=drill_id).first()
    if drill is None or not drill.running:
        return False
    view = application_view(drill.application)
    operations = list(Operation.objects.filter(pk__in=drill.step_operations))
    drill_observe(drill, view)
    if any(operation.in_progress for operation in operations):
        return False
    failed = [operation for operation in operations if operation.status == Operation.Status.FAILED]
    if failed:
        _drill_end(drill, Drill.Status.FAILED, failed[0].message)
    elif drill.stop_requested:
        _drill_end(drill, Drill.Status.STOPPED, "Stopped on request.")
    elif waiting := _out_of_rotation(view, drill.plan[drill.step - 1]["vms"] if drill.step else []):
        if not drill.waiting_for_rotation:
            drill.waiting_for_rotation = True
            drill.save(update_fields=["waiting_for_rotation", "updated_at"])
            verb = "is" if len(waiting) == 1 else "are"
            drill_event(
                drill, f"{', '.join(waiting)} {verb} running; waiting until back in rotation.", drill_last_event(drill)
            )
    elif drill.step >= len(drill.plan):
        _drill_end(drill, Drill.Status.COMPLETED, "")
    else:
        _drill_step(drill, drill.plan[drill.step])
        return not drill.step_operations
    return False


def _out_of_rotation(view: ApplicationView, vm_ids: list[int]) -> list[str]:
    """Name the step's VMs that are members of a load-balanced set and not back in its rotation yet."""
    waiting = []
    for role in view.value.roles:
        for member in role.members:
            balanced = [lb for lb in role.load_balanced_sets if member.key in lb.in_rotation]
            if member.key in vm_ids and balanced and not any(lb.in_rotation[member.key] for lb in balanced):
                waiting.append(member.name)
    return waiting


def drills_waiting_advance() -> list[int]:
    """Look again at every drill waiting for its VMs to return to rotation; the probe rounds bring them back."""
    waiting = list(
        Drill.objects.filter(status=Drill.Status.RUNNING, waiting_for_rotation=True).values_list("pk", flat=True)
    )
    for drill_id in waiting:
        drill_advance(drill_id=drill_id)
    return waiting


def _drill_step(drill: Drill, step: dict) -> None:
    vms = list(VirtualMachine.objects.select_for_update().filter(pk__in=step["vms"]).order_by("name", "pk"))
    kind = Operation.Kind.FABRIC_FAILURE if drill.kind == Drill.Kind.RACK_FAILURE else Operation.Kind.UPDATE
    started = []
    operation_ids = []
    for vm in vms:
        if vm.status != VirtualMachine.Status.RUNNING:
            continue  # it stopped since the drill began; the drill leaves it as it is
        if drill.kind == Drill.Kind.RACK_FAILURE:
            title = f"Rack failure: fault domain {step['domain']} takes down {vm.name}"
        else:
            title = f"Planned maintenance of {vm.name} (update domain {step['domain']})"
        operation = operation_begin(
            vm=vm,
            kind=kind,
            title=title,
            user=drill.requested_by,
            details={"drill": drill.pk, "follow_up": DRILL_FOLLOW_UP, "failure_seconds": drill.failure_seconds},
        )
        operation_ids.append(operation.pk)
        started.append(vm.name)
    drill.step += 1
    drill.step_operations = operation_ids
    drill.waiting_for_rotation = False
    drill.save(update_fields=["step", "step_operations", "waiting_for_rotation", "updated_at"])
    names = ", ".join(started) or "no running virtual machine"
    if drill.kind == Drill.Kind.RACK_FAILURE:
        where = f"of {drill.role_name}" if drill.role_name else "of every set"
        text = f"Fault domain {step['domain']} {where} fails: {names} stopped (fabric failure)."
    else:
        text = f"Update domain {step['domain']}: {names} shut down for their update."
    drill_observe(drill, application_view(drill.application), text=text, force=True)


def _drill_end(drill: Drill, status: str, outcome: str) -> None:
    """End a drill: start again what it left stopped, release its holds and write the report's figures."""
    vms = VirtualMachine.objects.select_for_update().filter(pk__in=[int(pk) for pk in drill.prior_states])
    busy = set(
        Operation.objects.filter(virtual_machine__in=vms, status=Operation.Status.IN_PROGRESS).values_list(
            "virtual_machine_id", flat=True
        )
    )
    restarted = []
    for vm in vms:
        before = drill.prior_states.get(str(vm.pk))
        if (
            before == VirtualMachine.Status.RUNNING
            and vm.pk not in busy
            and vm.status in {VirtualMachine.Status.STOPPED, VirtualMachine.Status.FABRIC_FAILURE}
        ):
            vm.status = VirtualMachine.Status.STOPPED
            operation_begin(
                vm=vm,
                kind=Operation.Kind.START,
                title=f"Starting virtual machine {vm.name} as it was before the drill",
                user=drill.requested_by,
            )
            restarted.append(vm.name)
    virtual_machines_release(vm_ids=[int(pk) for pk in drill.prior_states], holder=drill.holder)
    now = timezone.now()
    drill.status = status
    drill.ended_at = now
    drill.down_seconds = _down_seconds(list(drill.events.order_by("at", "pk")), now)
    drill.outcome = " ".join(
        part for part in (outcome, f"Starting {', '.join(restarted)} again." if restarted else "") if part
    )
    drill.save(update_fields=["status", "ended_at", "down_seconds", "outcome", "updated_at"])
    drill_event(
        drill, f"The drill {drill.get_status_display().lower()}. {drill.outcome}".strip(), drill_last_event(drill)
    )


def _down_seconds(events: list[DrillEvent], end: datetime) -> float:
    """Add up the time between each event that found the application down and the next one that found it up."""
    total = 0.0
    down_since = None
    for event in events:
        if not event.application_up and down_since is None:
            down_since = event.at
        elif event.application_up and down_since is not None:
            total += (event.at - down_since).total_seconds()
            down_since = None
    if down_since is not None:
        total += (end - down_since).total_seconds()
    return total


def drills_recover_stale(*, now: datetime | None = None) -> list[Drill]:
    """Drive on every drill whose worker stopped between steps; end as failed one that stays stuck."""
    now = now or timezone.now()
    timeout = timedelta(seconds=settings.OPERATION_TIMEOUT_SECONDS)
    stale = list(Drill.objects.filter(status=Drill.Status.RUNNING, updated_at__lt=now - timeout))
    recovered = []
    for drill in stale:
        if Operation.objects.filter(pk__in=drill.step_operations, status=Operation.Status.IN_PROGRESS).exists():
            continue  # the operations' own recovery retries or fails them, and their end advances the drill
        if drill.updated_at < now - 3 * timeout:
            with transaction.atomic():
                locked = Drill.objects.select_for_update().select_related("application").get(pk=drill.pk)
                if locked.running:
                    _drill_end(locked, Drill.Status.FAILED, "The worker stopped during the drill; it was abandoned.")
        else:
            drill_advance(drill_id=drill.pk)
        recovered.append(drill)
    return recovered
