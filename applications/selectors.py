"""Reads for the application pages, the command and the drills: rows turned into the assessment's plain values."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from applications import assessment as model
from applications.models import Application, Dependency, Drill, Role
from availability.models import AvailabilitySet, Membership
from endpoints.selectors import load_balanced_sets_for_vms
from fabric.drivers.base import DomainState
from fabric.models import Rack
from portal.models import Subscription
from vms.models import VirtualMachine

RECENT_DRILLS = 20


def applications_for(subscription: Subscription) -> QuerySet[Application]:
    """Return the subscription's applications with how many roles each has."""
    return Application.objects.filter(subscription=subscription).annotate(role_count=Count("roles"))


def load_balanced_sets_for(vm_ids: Iterable[int]) -> dict[int, list[tuple[str, dict[int, bool]]]]:
    """Return, per VM, the load-balanced sets it is a member of with every member's rotation state."""
    by_vm: dict[int, list[tuple[str, dict[int, bool]]]] = defaultdict(list)
    for lb_set in load_balanced_sets_for_vms(vm_ids):
        rotation = {member.virtual_machine_id: member.in_rotation for member in lb_set.members}
        for vm_id in rotation:
            by_vm[vm_id].append((lb_set.name, rotation))
    return by_vm


@dataclass(frozen=True)
class GridRow:
    fault_domain: int
    cells: list[list[VirtualMachine]]
    rack_names: list[str]  # the racks the fault domain's members sit on, by name


def vm_rack(vm: VirtualMachine) -> Rack | None:
    """Return the rack of the host the VM is placed on, or None when it has no placement."""
    placement = getattr(vm, "placement", None)
    return placement.host.rack if placement is not None else None


def member_state(vm: VirtualMachine) -> tuple[bool, str]:
    """Whether the VM is up, and its state in words: on a libvirt host, up only while its host reports it running too.

    The host's report (fabric's observed state, from its events and listings) is what a drill observes: a machine the
    portal thinks running but its host reports stopped is down.
    """
    running = vm.status == VirtualMachine.Status.RUNNING
    label = vm.get_status_display()
    placement = getattr(vm, "placement", None)
    if placement is None or placement.host.simulated or not placement.observed_state or not running:
        return running, label
    if placement.observed_state == DomainState.RUNNING:
        return True, label
    return False, f"{label}, but its host reports it {placement.observed_state.replace('_', ' ')}"


def rack_label(rack: Rack) -> str:
    """Name a rack as the assessment's wording does: "r2 of West US"."""
    return f"{rack.name} of {rack.region.name}"


@dataclass(frozen=True)
class RoleView:
    """One role as the page draws it: its set's grid of members and the assessment's view of it."""

    role: Role
    value: model.Role
    members: list[VirtualMachine]
    grid: list[GridRow]
    update_domains: range
    minimums: list[model.Minimum]

    @property
    def target_url(self) -> str:
        target = self.role.availability_set or self.role.virtual_machine
        return target.get_absolute_url() if target else ""

    @property
    def has_target(self) -> bool:
        return self.role.availability_set_id is not None or self.role.virtual_machine_id is not None

    @property
    def set_joined(self) -> AvailabilitySet | None:
        """Return the set that the role's one VM has joined since it became the role: the role could be that set."""
        vm = self.role.virtual_machine
        membership = getattr(vm, "membership", None) if vm is not None else None
        return membership.availability_set if membership is not None else None


@dataclass(frozen=True)
class ApplicationView:
    application: Application
    roles: list[RoleView]
    dependencies: list[Dependency]
    value: model.Application
    assessment: model.Assessment

    def role_name(self, key: int | None) -> str:
        return next((view.role.name for view in self.roles if view.role.pk == key), "")


def _grid(fault_domains: int, update_domains: int, slots: list[tuple[int, int, VirtualMachine]]) -> list[GridRow]:
    rows = [GridRow(fd, [[] for _ in range(update_domains)], []) for fd in range(fault_domains)]
    for fd, ud, vm in slots:
        rows[fd].cells[ud].append(vm)
        rack = vm_rack(vm)
        if rack is not None and rack.name not in rows[fd].rack_names:
            rows[fd].rack_names.append(rack.name)
    return rows


def application_views(applications: list[Application]) -> list[ApplicationView]:
    """Build each application's roles, members and assessment in a constant number of queries."""
    roles = list(
        Role.objects.filter(application__in=applications)
        .select_related(
            "availability_set__cloud_service",
            "virtual_machine__cloud_service",
            "virtual_machine__membership__availability_set",
            "virtual_machine__placement__host__rack__region",
        )
        .order_by("application_id", "pk")
    )
    set_ids = {role.availability_set_id for role in roles if role.availability_set_id}
    memberships_by_set: dict[int, list[Membership]] = defaultdict(list)
    for membership in (
        Membership.objects.filter(availability_set_id__in=set_ids)
        .select_related("virtual_machine__placement__host__rack__region")
        .order_by("fault_domain", "update_domain", "virtual_machine__name")
    ):
        memberships_by_set[membership.availability_set_id].append(membership)
    dependencies_by_app: dict[int, list[Dependency]] = defaultdict(list)
    for dependency in Dependency.objects.filter(role__application__in=applications).select_related(
        "role", "depends_on"
    ):
        dependencies_by_app[dependency.role.application_id].append(dependency)
    vm_ids = [m.virtual_machine_id for ms in memberships_by_set.values() for m in ms]
    vm_ids += [role.virtual_machine_id for role in roles if role.virtual_machine_id]
    load_balanced = load_balanced_sets_for(vm_ids)

    roles_by_app: dict[int, list[RoleView]] = defaultdict(list)
    for role in roles:
        roles_by_app[role.application_id].append(_role_view(role, memberships_by_set, load_balanced))
    views = []
    for application in applications:
        role_views = roles_by_app[application.pk]
        dependencies = dependencies_by_app[application.pk]
        value = model.Application(
            name=application.name,
            roles=tuple(view.value for view in role_views),
            dependencies=tuple((d.role_id, d.depends_on_id) for d in dependencies),
        )
        views.append(ApplicationView(application, role_views, dependencies, value, model.assess(value)))
    return views


def _role_view(
    role: Role,
    memberships_by_set: dict[int, list[Membership]],
    load_balanced: dict[int, list[tuple[str, dict[int, bool]]]],
) -> RoleView:
    availability_set: AvailabilitySet | None = role.availability_set
    slots: list[tuple[int, int, VirtualMachine]]
    if availability_set is None and role.virtual_machine is None:
        slots = []  # its set or VM was deleted: nothing serves the role
    elif availability_set is None:
        vm = role.virtual_machine
        membership = getattr(vm, "membership", None)
        availability_set = membership.availability_set if membership is not None else None
        slots = [(membership.fault_domain, membership.update_domain, vm) if membership else (0, 0, vm)]
    else:
        slots = [(m.fault_domain, m.update_domain, m.virtual_machine) for m in memberships_by_set[availability_set.pk]]
    fds = availability_set.fault_domain_count if availability_set else 1
    uds = availability_set.update_domain_count if availability_set else 1
    lbs: dict[str, dict[int, bool]] = {}
    for _, _, vm in slots:
        for name, rotation in load_balanced.get(vm.pk, []):
            lbs[name] = rotation
    value = model.Role(
        key=role.pk,
        name=role.name,
        members=tuple(
            model.Member(
                key=vm.pk,
                name=vm.name,
                fault_domain=fd,
                update_domain=ud,
                running=running,
                status_label=status_label,
                rack=rack.pk if rack is not None else None,
                rack_name=rack_label(rack) if rack is not None else "",
            )
            for fd, ud, vm in slots
            for rack in [vm_rack(vm)]
            for running, status_label in [member_state(vm)]
        ),
        set_name=availability_set.name if availability_set else "",
        fault_domain_count=fds,
        update_domain_count=uds,
        load_balanced_sets=tuple(model.LoadBalancedSet(name, rotation) for name, rotation in sorted(lbs.items())),
    )
    return RoleView(
        role=role,
        value=value,
        members=[vm for _, _, vm in slots],
        grid=_grid(fds, uds, slots),
        update_domains=range(uds),
        minimums=model.minimum_members(value),
    )


def application_view(application: Application) -> ApplicationView:
    """Build one application's roles, members and assessment."""
    return application_views([application])[0]


def assessment_outside_drill(view: ApplicationView, drill: Drill | None) -> model.Assessment:
    """Judge the design with the VMs a running drill holds as they were before it began: its downtime is no fault."""
    if drill is None or not drill.running:
        return view.assessment
    running_before = {int(key): state == VirtualMachine.Status.RUNNING for key, state in drill.prior_states.items()}
    return model.assess(model.as_before_drill(view.value, running_before))


def application_drills(application: Application) -> list[Drill]:
    """Return the application's drills, newest first: the one running and the reports kept."""
    return list(application.drills.order_by("-started_at", "-pk")[:RECENT_DRILLS])


ROLE_TARGETS_SUGGESTED = 20
# What a role's target is typed as: "NAME (CLOUD SERVICE)", or a bare NAME when it is unique.
TARGET_LABEL = re.compile(r"\s*(?P<name>[^()]+?)\s*(?:\((?P<service>[^()]+)\))?\s*")


def role_target_label(target: AvailabilitySet | VirtualMachine) -> str:
    """Return how a role's target is written in its field and offered in the suggestions: "name (cloud service)"."""
    return f"{target.name} ({target.cloud_service.name})"


def role_targets_matching(subscription: Subscription, text: str) -> list[AvailabilitySet | VirtualMachine]:
    """Suggest the first sets and VMs in no set whose name starts with what was typed, sets first."""
    match = TARGET_LABEL.fullmatch(text or "")
    name = match["name"] if match else ""
    sets = AvailabilitySet.objects.filter(cloud_service__subscription=subscription).select_related("cloud_service")
    vms = VirtualMachine.objects.filter(subscription=subscription, membership__isnull=True).select_related(
        "cloud_service"
    )
    if name:
        sets, vms = sets.filter(name__startswith=name), vms.filter(name__startswith=name)
    found = list(sets.order_by("name", "pk")[:ROLE_TARGETS_SUGGESTED])
    return found + list(vms.order_by("name", "pk")[: ROLE_TARGETS_SUGGESTED - len(found)])


def role_targets_named(subscription: Subscription, text: str) -> list[AvailabilitySet | VirtualMachine]:
    """Return the sets and VMs in no set that a typed target names (at most two: one is an answer, two are not)."""
    match = TARGET_LABEL.fullmatch(text or "")
    if not match:
        return []
    where = {"name": match["name"]} | ({"cloud_service__name": match["service"]} if match["service"] else {})
    sets = AvailabilitySet.objects.filter(cloud_service__subscription=subscription, **where)
    vms = VirtualMachine.objects.filter(subscription=subscription, membership__isnull=True, **where)
    found = list(sets.select_related("cloud_service")[:2])
    return found + list(vms.select_related("cloud_service")[: 2 - len(found)])
