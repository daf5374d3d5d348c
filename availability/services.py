"""Writes for availability sets: create, join, leave, delete and rebalance."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from availability.models import AvailabilitySet, FaultDomainRack, Membership
from availability.placement import Slot, next_slot
from availability.selectors import availability_set_rebalance_moves, rebalance_plan_key
from fabric.models import Placement
from portal.validators import validate_visible_name
from vms.models import CloudService, Operation, VirtualMachine
from vms.services.operations import operation_begin, vm_lock_for_operation


def availability_set_name_check(
    *, cloud_service: CloudService, name: str, excluding: AvailabilitySet | None = None
) -> None:
    """Refuse a set name with invisible characters, or one already used in the cloud service, whatever its case."""
    validate_visible_name(name)
    taken = cloud_service.availability_sets.filter(name__iexact=name)
    if excluding is not None:
        taken = taken.exclude(pk=excluding.pk)
    if taken.exists():
        raise _set_name_taken(cloud_service, name)


def availability_set_create(*, cloud_service: CloudService, name: str) -> AvailabilitySet:
    """Create an availability set in a cloud service; the name must be free there."""
    name = name.strip()
    if not name:
        raise ValidationError(
            {"availability_set_name": ValidationError("Enter a name for the availability set.", code="required")}
        )
    # A name taken in any case is refused by the database's unique index on (cloud service, lower(name)) below,
    # with the message availability_set_name_check gives.
    availability_set = AvailabilitySet(cloud_service=cloud_service, name=name)
    try:
        availability_set.full_clean(exclude=["cloud_service"], validate_constraints=False)
    except ValidationError as error:
        # Keep each error's code (the name's own errors, or all of them), so the field shows the rule it broke.
        errors = error.error_dict.get("name") or [item for items in error.error_dict.values() for item in items]
        raise ValidationError({"availability_set_name": errors}) from error
    try:
        with transaction.atomic():
            availability_set.save()
    except IntegrityError as error:
        raise ValidationError({"availability_set_name": _set_name_taken(cloud_service, name)}) from error
    return availability_set


def _set_name_taken(cloud_service: CloudService, name: str) -> ValidationError:
    return ValidationError(
        "The cloud service %(service)s already has an availability set named %(name)s.",
        code="set_name_taken",
        params={"service": cloud_service.name, "name": name},
    )


def availability_set_join(
    *, vm: VirtualMachine, availability_set: AvailabilitySet, new_set: bool = False
) -> Membership:
    """Put a VM into a set of its own cloud service, in the slot that keeps the spread even.

    new_set: the set and the VM were both made in this transaction, so the set is empty, nobody else sees it and
    the VM is in no other set: there is nothing to lock, read or leave.

    A VM already placed on a host keeps it; its fault domain is bound to the host's rack if it is not bound yet
    (even when another fault domain of the set is bound there: the set page then says they share the rack).
    """
    if availability_set.cloud_service_id != vm.cloud_service_id:
        raise ValidationError(
            {
                "availability_set": ValidationError(
                    "A virtual machine can join only an availability set of its own cloud service.",
                    code="other_cloud_service",
                )
            }
        )
    if new_set:
        locked, taken = availability_set, []
    else:
        # Locking the set makes concurrent joins take turns, so two never read the same counts.
        locked = AvailabilitySet.objects.select_for_update().get(pk=availability_set.pk)
        taken = [
            Slot(fault_domain, update_domain)
            for fault_domain, update_domain in locked.memberships.exclude(virtual_machine=vm).values_list(
                "fault_domain", "update_domain"
            )
        ]
    slot = next_slot(
        taken, fault_domain_count=locked.fault_domain_count, update_domain_count=locked.update_domain_count
    )
    if not new_set:
        availability_set_leave(vm=vm)
        if not taken:
            # An empty set's bindings are stale: its next members may go to any rack.
            FaultDomainRack.objects.filter(availability_set=locked).delete()
    membership = Membership(
        virtual_machine=vm,
        availability_set=locked,
        fault_domain=slot.fault_domain,
        update_domain=slot.update_domain,
    )
    # The slot comes from placement inside the set's domains, and both rows are the caller's.
    membership.full_clean(
        exclude=["virtual_machine", "availability_set"], validate_unique=False, validate_constraints=False
    )
    membership.save()
    if not new_set:
        rack_id = Placement.objects.filter(virtual_machine=vm).values_list("host__rack_id", flat=True).first()
        if rack_id is not None:
            fault_domain_rack_bind(availability_set=locked, fault_domain=slot.fault_domain, rack_id=rack_id)
    return membership


def availability_set_leave(*, vm: VirtualMachine) -> None:
    """Take a VM out of its set, freeing its slot for the next VM that joins; an emptied set drops its bindings."""
    membership = Membership.objects.filter(virtual_machine=vm).first()
    if membership is None:
        return
    membership.delete()
    if not Membership.objects.filter(availability_set_id=membership.availability_set_id).exists():
        FaultDomainRack.objects.filter(availability_set_id=membership.availability_set_id).delete()


def fault_domain_rack_bind(
    *, availability_set: AvailabilitySet, fault_domain: int, rack_id: int, unbound: bool = False
) -> None:
    """Bind a set's fault domain to a rack unless it is bound already (the caller holds the set's lock).

    unbound: the caller read the set's bindings under that lock and this fault domain had none.
    """
    if (
        unbound
        or not FaultDomainRack.objects.filter(availability_set=availability_set, fault_domain=fault_domain).exists()
    ):
        FaultDomainRack.objects.create(availability_set=availability_set, fault_domain=fault_domain, rack_id=rack_id)


@transaction.atomic
def availability_set_delete(*, availability_set: AvailabilitySet) -> None:
    """Delete an availability set that has no members."""
    locked = AvailabilitySet.objects.select_for_update().get(pk=availability_set.pk)
    if locked.memberships.exists():
        raise ValidationError(
            "%(name)s still has virtual machines; move them out before deleting it.",
            code="set_not_empty",
            params={"name": locked.name},
        )
    locked.delete()


# Rebalance: the fewest members move to new slots, each by a restart in the worker, one at a time. The plan travels
# in each move's operation, and the end of one move starts the next (availability_set_rebalance_continue). Locks are
# taken as Configure takes them, the members' VM rows first and then the set's row, so the two never deadlock.


@transaction.atomic
def availability_set_rebalance(
    *, availability_set: AvailabilitySet, user: AbstractBaseUser | None, expected_plan: str | None = None
) -> Operation:
    """Start moving a set's members back into balance: the first move now, each next one when the last is Running.

    expected_plan is the plan the person confirmed (rebalance_plan_key); a set that changed since is refused.
    """
    members = _rebalance_members_lock(availability_set)
    locked = AvailabilitySet.objects.select_for_update().get(pk=availability_set.pk)
    memberships = list(locked.memberships.select_related("virtual_machine"))
    moves = availability_set_rebalance_moves(locked, memberships)
    if not moves:
        raise ValidationError(
            "%(name)s is already in balance; there is nothing to move.", code="balanced", params={"name": locked.name}
        )
    if expected_plan is not None and rebalance_plan_key(moves) != expected_plan:
        raise ValidationError(
            "The members of %(name)s changed since this plan was made. Check the new plan, then confirm it.",
            code="plan_changed",
            params={"name": locked.name},
        )
    _rebalance_members_ready(locked, members)
    steps = [[move.virtual_machine.pk, *move.source, *move.target] for move in moves]
    return _rebalance_move(availability_set=locked, steps=steps, total=len(steps), user=user)


def availability_set_rebalance_continue(*, operation: Operation) -> Operation | None:
    """When a move's restart has ended, start the next move if every member is Running again, or say why not."""
    rebalance = operation.details.get("rebalance")
    if not rebalance:
        return None
    name = rebalance["set_name"]
    if operation.status != Operation.Status.SUCCEEDED:
        if rebalance["remaining"]:
            _operation_note(operation, f"Rebalancing {name} stopped; its other moves were not made.")
        return None
    if not rebalance["remaining"]:
        _operation_note(operation, f"Rebalancing {name} is complete.")
        return None
    try:
        with transaction.atomic():
            members = _rebalance_members_lock(AvailabilitySet(pk=rebalance["availability_set"]))
            locked = AvailabilitySet.objects.select_for_update().filter(pk=rebalance["availability_set"]).first()
            if locked is None:
                raise ValidationError("The availability set was deleted.", code="set_deleted")
            _rebalance_members_ready(locked, members)
            return _rebalance_move(
                availability_set=locked,
                steps=rebalance["remaining"],
                total=rebalance["steps"],
                user=operation.requested_by,
            )
    except ValidationError as error:
        _operation_note(operation, f"Rebalancing {name} stopped before its next move: {' '.join(error.messages)}")
        return None


def availability_set_rebalance_check(*, availability_set: AvailabilitySet) -> None:
    """Refuse a rebalance while a member is busy or not Running, so the plan can say so before it is confirmed."""
    members = VirtualMachine.objects.filter(membership__availability_set=availability_set)
    _rebalance_members_ready(availability_set, list(members))


def _rebalance_members_lock(availability_set: AvailabilitySet) -> list[VirtualMachine]:
    """Lock the set's members' rows, in one order, so that none starts another operation meanwhile."""
    members = VirtualMachine.objects.filter(membership__availability_set=availability_set).order_by("pk")
    return list(members.select_for_update(of=("self",)))


def _rebalance_members_ready(availability_set: AvailabilitySet, members: list[VirtualMachine]) -> None:
    """Refuse to take a member down while another is busy or not Running: a rebalance keeps the rest serving."""
    busy = (
        Operation.objects.filter(virtual_machine__in=members, status=Operation.Status.IN_PROGRESS)
        .order_by("virtual_machine__name")
        .first()
    )
    if busy is not None:
        raise ValidationError(
            "%(title)s is still in progress. Wait for it to finish, then rebalance %(name)s.",
            code="member_busy",
            params={"title": busy.title, "name": availability_set.name},
        )
    for vm in sorted(members, key=lambda member: member.name):
        if vm.status != VirtualMachine.Status.RUNNING:
            raise ValidationError(
                "%(vm)s is %(status)s. Every member of %(name)s must be Running to rebalance it, so that each move "
                "takes only one virtual machine down.",
                code="member_not_running",
                params={"vm": vm.name, "status": vm.get_status_display(), "name": availability_set.name},
            )


REBALANCE_NEXT_MOVE = "availability.rebalance_next_move"


def _rebalance_move(
    *, availability_set: AvailabilitySet, steps: list[list[int]], total: int, user: AbstractBaseUser | None
) -> Operation:
    """Move the first member of the plan to its new slot and restart it there through the worker."""
    vm_id, source_fd, source_ud, target_fd, target_ud = steps[0]
    membership = (
        Membership.objects.select_related("virtual_machine")
        .filter(
            virtual_machine_id=vm_id,
            availability_set=availability_set,
            fault_domain=source_fd,
            update_domain=source_ud,
        )
        .first()
    )
    if membership is None:
        raise ValidationError(
            "The members of %(name)s changed since the plan was made; open the set to plan again.",
            code="plan_changed",
            params={"name": availability_set.name},
        )
    vm = vm_lock_for_operation(vm=membership.virtual_machine, kind=Operation.Kind.RESTART)
    membership.fault_domain, membership.update_domain = target_fd, target_ud
    membership.full_clean(validate_unique=False)
    membership.save(update_fields=["fault_domain", "update_domain"])
    step = total - len(steps) + 1
    return operation_begin(
        vm=vm,
        kind=Operation.Kind.RESTART,
        title=(
            f"Moving virtual machine {vm.name} to fault domain {target_fd}, update domain {target_ud} "
            f"(rebalancing {availability_set.name}, move {step} of {total})"
        ),
        user=user,
        details={
            "follow_up": REBALANCE_NEXT_MOVE,
            "rebalance": {
                "availability_set": availability_set.pk,
                "set_name": availability_set.name,
                "source": [source_fd, source_ud],
                "target": [target_fd, target_ud],
                "steps": total,
                "remaining": steps[1:],
            },
        },
    )


def _operation_note(operation: Operation, note: str) -> None:
    operation.message = f"{operation.message} {note}".strip()
    operation.save(update_fields=["message"])
