"""How an operation ends: the states a VM passes through and what success or failure leaves behind.

A feature that runs a chain of operations (a rebalance's moves, a drill's steps) names a follow-up in the operation's
``details["follow_up"]``; whatever ends the operation (the worker, or the recovery sweep failing it) then calls that
follow-up in the same transaction, so the chain goes on or stops without anybody watching. Follow-ups are declared
with :func:`operation_follow_up` in an app's ``operations`` module; those modules are imported once, when Django
starts (``VmsConfig.ready``), so a broken one stops the start rather than an operation's transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.models import Subscription
from portal.services import subscription_usage_add
from vms.models import CloudService, Operation, VirtualMachine

Status = VirtualMachine.Status
Kind = Operation.Kind


class Transition(NamedTuple):
    running: str
    succeeded: str
    failed: str


TRANSITIONS: dict[str, Transition] = {
    Kind.CREATE: Transition(Status.PROVISIONING, Status.RUNNING, ""),
    Kind.START: Transition(Status.STARTING, Status.RUNNING, Status.STOPPED),
    Kind.SHUT_DOWN: Transition(Status.STOPPING, Status.STOPPED, Status.RUNNING),
    Kind.RESTART: Transition(Status.RESTARTING, Status.RUNNING, Status.STOPPED),
    Kind.CONFIGURE: Transition(Status.RESTARTING, Status.RUNNING, Status.STOPPED),
    Kind.DELETE: Transition(Status.DELETING, "", Status.STOPPED),
    # The platform's own work, as drills rehearse it: maintenance shuts a VM down, updates it and starts it again;
    # a rack failure stops it until service healing starts it again.
    Kind.UPDATE: Transition(Status.STOPPING, Status.RUNNING, Status.STOPPED),
    Kind.FABRIC_FAILURE: Transition(Status.FABRIC_FAILURE, Status.RUNNING, Status.STOPPED),
}

# The states an operation passes through after its first, each for the fabric's operation time.
PHASES: dict[str, tuple[str, ...]] = {
    Kind.UPDATE: (Status.UPDATING, Status.STARTING),
    Kind.FABRIC_FAILURE: (Status.STARTING,),
}


def operation_enter_phase(*, operation_id: int, attempt: int, status: str) -> bool:
    """Move the VM of an operation still under way (this attempt) into its next passing state."""
    with transaction.atomic():
        operation = Operation.objects.select_for_update().filter(pk=operation_id).first()
        if operation is None or not operation.in_progress or operation.attempts != attempt:
            return False
        VirtualMachine.objects.filter(pk=operation.virtual_machine_id).update(status=status)
        return True


FollowUp = Callable[[Operation], None]
# What to do when an operation ends, by the name its details give; a test may register its own under a name.
follow_ups: dict[str, FollowUp] = {}


def operation_follow_up(name: str) -> Callable[[FollowUp], FollowUp]:
    """Register what to do when an operation naming `name` in details["follow_up"] ends, however it ends."""

    def register(function: FollowUp) -> FollowUp:
        follow_ups[name] = function
        return function

    return register


def _follow_up_for(name: str) -> FollowUp:
    return follow_ups[name]


@transaction.atomic
def operation_complete(*, operation_id: int, attempt: int, error: str = "") -> Operation | None:
    """Record the fabric's outcome of one attempt; an outcome for a superseded attempt is ignored."""
    operation = Operation.objects.select_for_update().filter(pk=operation_id).first()
    if operation is None or not operation.in_progress or operation.attempts != attempt:
        return None
    vm = VirtualMachine.objects.select_for_update().filter(pk=operation.virtual_machine_id).first()
    if error:
        operation_fail(operation, vm, error)
    else:
        _operation_succeed(operation, vm)
    return operation


def _operation_succeed(operation: Operation, vm: VirtualMachine | None) -> None:
    outcome = f"{operation.target_name} was deleted."
    if vm is not None and operation.kind == Kind.DELETE:
        cloud_service = vm.cloud_service
        _vm_remove(vm)
        if operation.details.get("delete_cloud_service") and not cloud_service.virtual_machines.exists():
            _cloud_service_remove(cloud_service)
            outcome = f"{operation.target_name} and its cloud service {cloud_service.name} were deleted."
    elif vm is not None:
        vm.status = TRANSITIONS[operation.kind].succeeded
        vm.save(update_fields=["status"])
        outcome = f"{vm.name} is {vm.get_status_display()}."
    _operation_end(operation, Operation.Status.SUCCEEDED, outcome)


def operation_fail(operation: Operation, vm: VirtualMachine | None, error: str) -> None:
    if vm is not None and operation.kind == Kind.CREATE:
        # A VM that never came up is removed, with the cloud service made for it, so nothing stays half made.
        cloud_service = vm.cloud_service
        _vm_remove(vm)
        if operation.details.get("created_cloud_service") and not cloud_service.virtual_machines.exists():
            _cloud_service_remove(cloud_service)
        outcome = "The virtual machine was not created; nothing else was changed."
    elif vm is not None:
        vm.status = TRANSITIONS[operation.kind].failed
        vm.save(update_fields=["status"])
        outcome = f"{vm.name} is {vm.get_status_display()}."
    else:
        outcome = ""
    _operation_end(operation, Operation.Status.FAILED, f"{operation.title}: failed. {error} {outcome}".strip())


@transaction.atomic
def operations_settle(*, operation_ids: list[int], error: str = "", outcome: str = "") -> list[Operation]:
    """End operations no VM's state hangs on (endpoint changes): succeeded saying `outcome`, or failed with `error`.

    Those already ended (by the recovery sweep, say) are left as they are.
    """
    operations = list(
        Operation.objects.select_for_update().filter(pk__in=operation_ids, status=Operation.Status.IN_PROGRESS)
    )
    for operation in operations:
        if error:
            operation_fail(operation, None, error)
        else:
            _operation_end(operation, Operation.Status.SUCCEEDED, outcome)
    return operations


def _vm_remove(vm: VirtualMachine) -> None:
    """Delete a VM's row and give its cores and its place back to the subscription's usage."""
    cores = vm.size.cores
    vm.delete()
    subscription_usage_add(subscription_id=vm.subscription_id, cores=-cores, virtual_machines=-1)


def _cloud_service_remove(cloud_service: CloudService) -> None:
    """Delete an empty cloud service's row and give its place back to the subscription's usage."""
    cloud_service.delete()
    subscription_usage_add(subscription_id=cloud_service.subscription_id, cloud_services=-1)


def _operation_end(operation: Operation, status: str, message: str) -> None:
    operation.status = status
    operation.message = message
    operation.ended_at = timezone.now()
    operation.save(update_fields=["status", "message", "ended_at"])
    operations_changed(subscription_id=operation.subscription_id)
    follow_up = operation.details.get("follow_up")
    if follow_up:
        _follow_up_for(follow_up)(operation)


def operations_changed(*, subscription_id: int) -> None:
    """Move the subscription's operations version on, so that notification polls know there is news."""
    Subscription.objects.filter(pk=subscription_id).update(operations_version=F("operations_version") + 1)
