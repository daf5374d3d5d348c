"""Operations on VMs: locking a VM for one, beginning it, handing it to the worker, recovering stale ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from vms.models import Operation, VirtualMachine
from vms.operations import TRANSITIONS, operation_fail, operations_changed
from vms.tasks import carry_out_operation

Status = VirtualMachine.Status
Kind = Operation.Kind


# Operations: each one moves a VM into a passing state now and is finished by the fabric in the worker.

ALLOWED_FROM: dict[str, set[str]] = {
    Kind.START: {Status.STOPPED},
    Kind.SHUT_DOWN: {Status.RUNNING},
    Kind.RESTART: {Status.RUNNING},
    Kind.CONFIGURE: {Status.RUNNING, Status.STOPPED},
    Kind.DELETE: {Status.RUNNING, Status.STOPPED},
}


def vm_lock_for_operation(*, vm: VirtualMachine, kind: str) -> VirtualMachine:
    """Lock a VM's row and refuse a new operation while another is in progress or the state forbids it."""
    # Only the VM's own row: the rules an operation touches have locks of their own (the subscription's for quotas,
    # the set's for slots), and locking the shared cloud service row would make every VM in it wait for the others.
    locked = VirtualMachine.objects.select_for_update(of=("self",)).select_related("cloud_service").get(pk=vm.pk)
    if locked.held_by:
        raise ValidationError(
            "%(name)s is held by %(holder)s; %(action)s is possible once it ends or is stopped.",
            code="held",
            params={"name": locked.name, "holder": locked.held_by, "action": Kind(kind).label.lower()},
        )
    running = Operation.objects.filter(virtual_machine=locked, status=Operation.Status.IN_PROGRESS).first()
    if running is not None:
        raise ValidationError(
            "%(title)s is still in progress. Wait for it to finish, then try again.",
            code="busy",
            params={"title": running.title},
        )
    if locked.status not in ALLOWED_FROM[kind]:
        raise ValidationError(
            "%(name)s is %(status)s; %(action)s is not possible now.",
            code="wrong_state",
            params={"name": locked.name, "status": locked.get_status_display(), "action": Kind(kind).label.lower()},
        )
    return locked


def operation_begin(
    *,
    vm: VirtualMachine,
    kind: str,
    title: str,
    user: AbstractBaseUser | None,
    details: dict | None = None,
) -> Operation:
    """Record an operation on a locked VM, move it into the passing state and hand it to the worker on commit."""
    if vm.status != TRANSITIONS[kind].running:
        vm.status = TRANSITIONS[kind].running
        vm.save(update_fields=["status"])
    operation = Operation(
        subscription_id=vm.subscription_id,
        requested_by=user if user and user.is_authenticated else None,
        kind=kind,
        virtual_machine=vm,
        target_name=vm.name,
        title=title,
        details=details or {},
    )
    if kind == Kind.CREATE:
        # A VM made in this transaction has no other operation.
        operation.save()
    else:
        try:
            with transaction.atomic():
                operation.save()
        except IntegrityError as error:
            raise ValidationError(
                "Another operation is in progress on %(name)s.", code="busy", params={"name": vm.name}
            ) from error
    operations_changed(subscription_id=operation.subscription_id)
    _enqueue_on_commit(operation)
    return operation


def _enqueue_on_commit(operation: Operation) -> None:
    operation_id, attempt = operation.pk, operation.attempts
    transaction.on_commit(lambda: carry_out_operation.enqueue(operation_id, attempt))


@transaction.atomic
def operations_recover_stale(*, now: datetime | None = None) -> list[Operation]:
    """Retry, or fail once out of attempts, every operation whose attempt ran past OPERATION_TIMEOUT_SECONDS.

    The worker's schedule runs this every OPERATION_SWEEP_SECONDS (vms/periodic.py). It covers every operation,
    whatever feature started it; rows another sweep holds are skipped, so several workers never recover one twice.
    """
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.OPERATION_TIMEOUT_SECONDS)
    stale = Operation.objects.filter(status=Operation.Status.IN_PROGRESS, attempt_started_at__lt=deadline)
    # The sweep runs every few seconds; a plain read first keeps it from taking row locks when nothing is stale.
    if not stale.exists():
        return []
    return [_operation_recover(operation, now) for operation in stale.select_for_update(skip_locked=True)]


ABANDONED = "It did not end within {seconds} seconds and was abandoned."


def _operation_recover(operation: Operation, now: datetime) -> Operation:
    if operation.virtual_machine_id is None:
        # Nothing the fabric carries (a change another part ends, such as an endpoint change a load balancer takes):
        # there is nothing to retry, and the feature that opened it says in its details what being abandoned means.
        reason = operation.details.get("abandoned", ABANDONED)
        operation_fail(operation, None, reason.format(seconds=settings.OPERATION_TIMEOUT_SECONDS))
        return operation
    if operation.attempts < settings.OPERATION_MAX_ATTEMPTS:
        operation.attempts += 1
        operation.attempt_started_at = now
        operation.message = (
            f"The worker stopped before this operation finished; retrying "
            f"(attempt {operation.attempts} of {settings.OPERATION_MAX_ATTEMPTS})."
        )
        operation.save(update_fields=["attempts", "attempt_started_at", "message"])
        operations_changed(subscription_id=operation.subscription_id)
        _enqueue_on_commit(operation)
    else:
        vm = VirtualMachine.objects.select_for_update().filter(pk=operation.virtual_machine_id).first()
        operation_fail(
            operation,
            vm,
            f"It did not finish within {settings.OPERATION_TIMEOUT_SECONDS} seconds after "
            f"{operation.attempts} attempts and was abandoned.",
        )
    return operation
