"""Writes for applications: the application, its roles and the dependencies between them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from applications import assessment as model
from applications.drills import drill_event, drill_last_event, drill_observe
from applications.models import Application, Dependency, Drill, Role
from applications.selectors import ApplicationView, application_view
from applications.tasks import drill_begin
from availability.models import MAX_FAULT_DOMAINS, AvailabilitySet, Membership
from portal.models import Subscription
from vms.models import Operation, VirtualMachine
from vms.services.machines import virtual_machines_hold, virtual_machines_not_holdable


def application_lock(application: Application) -> Application:
    """Lock an application's row so that its roles and dependencies change one writer at a time."""
    return Application.objects.select_for_update().get(pk=application.pk)


def application_name_check(*, subscription: Subscription, name: str, excluding: Application | None = None) -> None:
    """Refuse an application name already used in the subscription, whatever its case."""
    taken = Application.objects.filter(subscription=subscription, name__iexact=name)
    if excluding is not None:
        taken = taken.exclude(pk=excluding.pk)
    if taken.exists():
        raise ValidationError(
            {
                "name": ValidationError(
                    "This subscription already has an application named %(name)s.",
                    code="name_taken",
                    params={"name": name},
                )
            }
        )


@transaction.atomic
def application_create(*, subscription: Subscription, name: str) -> Application:
    """Create an application with no roles yet; its name must be free in the subscription."""
    name = name.strip()
    application_name_check(subscription=subscription, name=name)
    application = Application(subscription=subscription, name=name)
    application.full_clean(validate_constraints=False)
    application.save()
    return application


@transaction.atomic
def application_delete(*, application: Application) -> None:
    """Delete an application and its roles, dependencies and drill reports; refused while a drill runs."""
    application = application_lock(application)
    _refuse_while_drilling(application, field=None)
    application.delete()


def _refuse_while_drilling(application: Application, *, field: str | None) -> None:
    if application.drills.filter(status=Drill.Status.RUNNING).exists():
        error = ValidationError(
            "A drill of %(name)s is running. Stop it, or wait for it to end, then try again.",
            code="drill_running",
            params={"name": application.name},
        )
        raise ValidationError({field: error}) if field else error


def _target_checks(
    application: Application,
    *,
    availability_set: AvailabilitySet | None,
    virtual_machine: VirtualMachine | None,
    excluding: Role | None = None,
) -> None:
    """Refuse a role target outside the subscription, or one that another role of the application already covers."""
    if (availability_set is None) == (virtual_machine is None):
        raise ValidationError(
            {"target": ValidationError("Choose an availability set or a virtual machine.", code="target_required")}
        )
    others = application.roles.all()
    if excluding is not None:
        others = others.exclude(pk=excluding.pk)
    if availability_set is not None:
        if availability_set.cloud_service.subscription_id != application.subscription_id:
            raise ValidationError({"target": "Choose an availability set of this subscription."}, code="foreign")
        if taken := others.filter(availability_set=availability_set).first():
            raise _target_taken(availability_set.name, taken)
        member_ids = Membership.objects.filter(availability_set=availability_set).values("virtual_machine_id")
        if taken := others.filter(virtual_machine_id__in=member_ids).select_related("virtual_machine").first():
            raise ValidationError(
                {
                    "target": ValidationError(
                        "%(vm)s, a member of %(set)s, is already the %(role)s role.",
                        code="target_taken",
                        params={"vm": taken.virtual_machine.name, "set": availability_set.name, "role": taken.name},
                    )
                }
            )
    else:
        if virtual_machine.cloud_service.subscription_id != application.subscription_id:
            raise ValidationError({"target": "Choose a virtual machine of this subscription."}, code="foreign")
        if taken := others.filter(virtual_machine=virtual_machine).first():
            raise _target_taken(virtual_machine.name, taken)
        membership = Membership.objects.filter(virtual_machine=virtual_machine).select_related("availability_set")
        if (membership := membership.first()) is not None:
            raise ValidationError(
                {
                    "target": ValidationError(
                        "%(vm)s is in the availability set %(set)s: choose the set as the role.",
                        code="vm_in_set",
                        params={"vm": virtual_machine.name, "set": membership.availability_set.name},
                    )
                }
            )


def _target_taken(name: str, role: Role) -> ValidationError:
    return ValidationError(
        {
            "target": ValidationError(
                "%(name)s is already the %(role)s role of this application.",
                code="target_taken",
                params={"name": name, "role": role.name},
            )
        }
    )


def _name_check(application: Application, name: str, *, excluding: Role | None = None) -> str:
    name = name.strip()
    if not name:
        raise ValidationError({"name": ValidationError("Enter a name for the role.", code="required")})
    taken = application.roles.filter(name__iexact=name)
    if excluding is not None:
        taken = taken.exclude(pk=excluding.pk)
    if taken.exists():
        raise ValidationError(
            {
                "name": ValidationError(
                    "This application already has a role named %(name)s.", code="role_name_taken", params={"name": name}
                )
            }
        )
    return name


@transaction.atomic
def role_add(
    *,
    application: Application,
    name: str,
    availability_set: AvailabilitySet | None = None,
    virtual_machine: VirtualMachine | None = None,
) -> Role:
    """Add a role: an availability set, or one VM in no set, that no other role of the application covers."""
    application = application_lock(application)
    _refuse_while_drilling(application, field="name")
    name = _name_check(application, name)
    _target_checks(application, availability_set=availability_set, virtual_machine=virtual_machine)
    role = Role(application=application, name=name, availability_set=availability_set, virtual_machine=virtual_machine)
    role.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            role.save()
    except IntegrityError as error:  # a concurrent writer took the name or the target first
        raise ValidationError({"name": "This role or its target was just taken. Try again."}, code="race") from error
    return role


@transaction.atomic
def role_change(
    *,
    role: Role,
    name: str,
    availability_set: AvailabilitySet | None = None,
    virtual_machine: VirtualMachine | None = None,
) -> Role:
    """Rename a role or make it another availability set or VM."""
    application = application_lock(role.application)
    _refuse_while_drilling(application, field="name")
    role = Role.objects.get(pk=role.pk)
    role.name = _name_check(application, name, excluding=role)
    _target_checks(application, availability_set=availability_set, virtual_machine=virtual_machine, excluding=role)
    role.availability_set = availability_set
    role.virtual_machine = virtual_machine
    role.full_clean(validate_constraints=False)
    role.save(update_fields=["name", "availability_set", "virtual_machine"])
    return role


@transaction.atomic
def role_retarget_to_set(*, role: Role) -> Role:
    """Make the availability set that a one-VM role's VM has joined the role, keeping its name and dependencies."""
    role = Role.objects.select_related("virtual_machine__membership__availability_set__cloud_service").get(pk=role.pk)
    vm = role.virtual_machine
    if vm is None:
        raise ValidationError(
            "The %(role)s role is not a single virtual machine.", code="not_one_vm", params={"role": role.name}
        )
    if (membership := getattr(vm, "membership", None)) is None:
        raise ValidationError("%(vm)s is in no availability set.", code="vm_in_no_set", params={"vm": vm.name})
    return role_change(role=role, name=role.name, availability_set=membership.availability_set)


@transaction.atomic
def role_remove(*, role: Role) -> None:
    """Remove a role and the dependencies on and of it."""
    application = application_lock(role.application)
    _refuse_while_drilling(application, field=None)
    Role.objects.filter(pk=role.pk).delete()


def dependency_cycle(edges: list[tuple[int, int]], start: int, end: int) -> list[int]:
    """Return the path from `end` back to `start` that an edge start -> end would close into a cycle, or []."""
    following: dict[int, list[int]] = {}
    for source, target in edges:
        following.setdefault(source, []).append(target)
    stack: list[tuple[int, list[int]]] = [(end, [end])]
    seen = {end}
    while stack:
        node, path = stack.pop()
        if node == start:
            return path
        for nxt in following.get(node, []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return []


@transaction.atomic
def dependency_add(*, role: Role, depends_on: Role) -> Dependency:
    """Record that `role` needs `depends_on`; refused when it would close a cycle, which the message names."""
    application = application_lock(role.application)
    _refuse_while_drilling(application, field="depends_on")
    if depends_on.application_id != application.pk:
        raise ValidationError({"depends_on": "Choose a role of the same application."}, code="foreign")
    if role.pk == depends_on.pk:
        raise ValidationError(
            {"depends_on": ValidationError("A role cannot depend on itself.", code="self_dependency")}
        )
    edges = list(Dependency.objects.filter(role__application=application).values_list("role_id", "depends_on_id"))
    if (role.pk, depends_on.pk) in edges:
        raise ValidationError(
            {
                "depends_on": ValidationError(
                    "%(role)s already depends on %(other)s.",
                    code="dependency_exists",
                    params={"role": role.name, "other": depends_on.name},
                )
            }
        )
    if path := dependency_cycle(edges, role.pk, depends_on.pk):
        names = dict(application.roles.values_list("pk", "name"))
        cycle = " -> ".join(names[key] for key in [role.pk, *path])
        raise ValidationError(
            {
                "depends_on": ValidationError(
                    "Dependencies may not form a cycle: %(cycle)s.", code="dependency_cycle", params={"cycle": cycle}
                )
            }
        )
    dependency = Dependency(role=role, depends_on=depends_on)
    dependency.full_clean(validate_constraints=False)
    dependency.save()
    return dependency


@transaction.atomic
def dependency_remove(*, dependency: Dependency) -> None:
    """Forget that one role needs another."""
    application = application_lock(dependency.role.application)
    _refuse_while_drilling(application, field=None)
    Dependency.objects.filter(pk=dependency.pk).delete()


# Drills: each step is a set of vms Operations that the worker carries out; the end of each one advances the drill.

MAX_FAILURE_SECONDS = 60


def _drill_plan(view: ApplicationView, kind: str, fault_domain: int | None, role: Role | None) -> list[dict]:
    """Lay out the steps: each update domain of every set in turn, or one fault domain of every set (or one) at once."""
    running = [(member, r) for r in view.value.roles for member in r.members if member.running]
    if kind == Drill.Kind.RACK_FAILURE:
        vm_ids = [
            member.key
            for member, r in running
            if member.fault_domain == fault_domain and (role is None or r.key == role.pk)
        ]
        return [{"domain": fault_domain, "vms": vm_ids}] if vm_ids else []
    steps = []
    for update_domain in range(model.max_domains(view.value, "update_domain_count")):
        vm_ids = [member.key for member, _ in running if member.update_domain == update_domain]
        if vm_ids:
            steps.append({"domain": update_domain, "vms": vm_ids})
    return steps


@transaction.atomic
def drill_start(
    *,
    application: Application,
    kind: str,
    fault_domain: int | None = None,
    role: Role | None = None,
    failure_seconds: int = 0,
    user: AbstractBaseUser | None = None,
) -> Drill:
    """Hold every VM of the application, predict the outcome, and hand the drill's first step to the worker."""
    application = application_lock(application)
    _refuse_while_drilling(application, field=None)
    if kind == Drill.Kind.RACK_FAILURE:
        if fault_domain is None or not 0 <= fault_domain < MAX_FAULT_DOMAINS:
            raise ValidationError(
                {"fault_domain": ValidationError("Choose fault domain 0, 1 or 2.", code="fault_domain")}
            )
        if not 0 <= failure_seconds <= MAX_FAILURE_SECONDS:
            raise ValidationError(
                {
                    "failure_seconds": ValidationError(
                        "A rack failure lasts from 0 to %(most)s seconds.",
                        code="failure_seconds",
                        params={"most": MAX_FAILURE_SECONDS},
                    )
                }
            )
        if role is not None and role.application_id != application.pk:
            raise ValidationError({"role": "Choose a role of this application."}, code="foreign")
    else:
        fault_domain, failure_seconds, role = None, 0, None
    view = application_view(application)
    if not view.roles:
        raise ValidationError("Add a role to the application before drilling it.", code="no_roles")
    vm_ids = sorted({member.pk for role in view.roles for member in role.members})
    vms = list(VirtualMachine.objects.select_for_update().filter(pk__in=vm_ids).order_by("pk"))
    blocked = virtual_machines_not_holdable(vms=vms)
    if blocked is not None and blocked[1] == "held":
        vm = blocked[0]
        raise ValidationError(
            "%(name)s is held by %(holder)s.", code="held", params={"name": vm.name, "holder": vm.held_by}
        )
    if blocked is not None:
        vm = blocked[0]
        raise ValidationError(
            "%(name)s is %(status)s. Drill once every virtual machine is running or stopped.",
            code="busy",
            params={"name": vm.name, "status": vm.get_status_display()},
        )
    if kind == Drill.Kind.RACK_FAILURE:
        predicted = model.rack_failure_prediction(view.value, fault_domain, role=role.pk if role else None)
    else:
        predicted = model.walk_prediction(view.value)
    drill = Drill(
        application=application,
        kind=kind,
        fault_domain=fault_domain,
        role=role,
        role_name=role.name if role else "",
        failure_seconds=failure_seconds,
        requested_by=user if user and user.is_authenticated else None,
        plan=_drill_plan(view, kind, fault_domain, role),
        prior_states={str(vm.pk): vm.status for vm in vms},
        predicted_survives=not predicted,
        predicted_down=[view.role_name(key) for key in predicted],
        predicted_blame=view.role_name(model.deepest(view.value, predicted)),
    )
    drill.full_clean(validate_constraints=False)
    drill.save()
    virtual_machines_hold(vms=vms, holder=drill.holder)
    drill_observe(drill, view, text=f"{drill.title} of {application.name} begins.", force=True)
    drill_id = drill.pk
    transaction.on_commit(lambda: drill_begin.enqueue(drill_id))
    return drill


@transaction.atomic
def drill_stop(*, drill: Drill) -> Drill:
    """Ask a running drill to stop: no further step begins, a rack failure heals now, and every VM returns."""
    drill = Drill.objects.select_for_update().select_related("application").get(pk=drill.pk)
    if not drill.running:
        raise ValidationError("This drill has already ended.", code="ended")
    drill.stop_requested = True
    drill.save(update_fields=["stop_requested", "updated_at"])
    for operation in Operation.objects.select_for_update().filter(
        pk__in=drill.step_operations, status=Operation.Status.IN_PROGRESS
    ):
        operation.details = {**operation.details, "cut_short": True}
        operation.save(update_fields=["details"])
    drill_event(drill, "Stop requested: the drill ends after the step under way.", drill_last_event(drill))
    if not Operation.objects.filter(pk__in=drill.step_operations, status=Operation.Status.IN_PROGRESS).exists():
        drill_id = drill.pk
        transaction.on_commit(lambda: drill_begin.enqueue(drill_id))
    return drill
