"""Reads for host maintenance: rows turned into the planner's values, the applications it touches, and the reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from applications import assessment as model
from applications.models import Application
from applications.selectors import ApplicationView, application_views
from endpoints.models import Endpoint
from fabric.models import Host, Placement
from maintenance import planner
from maintenance.models import MaintenanceEvent, MaintenanceRun
from vms.models import VirtualMachine

RECENT_RUNS = 20


@dataclass(frozen=True)
class PlanInput:
    hosts: list[planner.Host]
    vms: list[planner.Vm]
    roles: list[planner.Role]
    applications: list[ApplicationView]


def applications_on(host_ids: list[int]) -> list[Application]:
    """Return every application with a role served by a VM on one of the hosts (a set's member or a lone VM)."""
    on_hosts = Q(roles__availability_set__memberships__virtual_machine__placement__host_id__in=host_ids) | Q(
        roles__virtual_machine__placement__host_id__in=host_ids
    )
    ids = Application.objects.filter(on_hosts).values("pk")
    return list(Application.objects.filter(pk__in=ids).order_by("name", "pk"))


def plan_input(host_ids: list[int]) -> PlanInput:
    """Read the hosts, the VMs on them with their sets' slots, and every role those VMs serve, in constant queries."""
    hosts = [planner.Host(pk, name) for pk, name in Host.objects.filter(pk__in=host_ids).values_list("pk", "name")]
    rows = (
        Placement.objects.filter(host_id__in=host_ids)
        .order_by("virtual_machine__name", "virtual_machine_id")
        .values_list(
            "virtual_machine_id",
            "virtual_machine__name",
            "host_id",
            "virtual_machine__status",
            "virtual_machine__membership__availability_set_id",
            "virtual_machine__membership__availability_set__name",
            "virtual_machine__membership__update_domain",
        )
    )
    vms = [
        planner.Vm(pk, name, host, set_key, set_name or "", update_domain or 0, status == VirtualMachine.Status.RUNNING)
        for pk, name, host, status, set_key, set_name, update_domain in rows
    ]
    views = application_views(applications_on(host_ids))
    roles = [
        planner.Role(
            key=role.role.pk,
            name=role.role.name,
            application=view.application.name,
            up_members=tuple(member.key for member in role.value.up_members),
            in_set=role.value.in_set,
        )
        for view in views
        for role in view.roles
    ]
    return PlanInput(hosts, vms, roles, views)


def predictions(views: list[ApplicationView], rounds: list[list[int]]) -> list[dict]:
    """Ask each application's assessment what the plan's rounds (each a list of the VMs it takes down) do to it."""
    vms_of = {view.application.pk: {m.key for role in view.value.roles for m in role.members} for view in views}
    sets_of: dict[int, set[int]] = {}
    for vm_id, set_id in Endpoint.objects.filter(
        virtual_machine_id__in=set().union(*vms_of.values()), load_balanced_set__isnull=False
    ).values_list("virtual_machine_id", "load_balanced_set_id"):
        sets_of.setdefault(vm_id, set()).add(set_id)
    found = []
    for view in views:
        down: set[int] = set()
        for vm_ids in rounds:
            keys = set(vm_ids)
            down |= set(
                model.status(view.value, is_down=lambda _role, member, keys=keys: member.key in keys).down_roles
            )
        names = [view.role_name(key) for key in model.ordered(view.value, down)]
        found.append(
            {
                "application": view.application.name,
                "application_id": view.application.pk,
                "roles": [role.role.name for role in view.roles],
                "predicted_up": not names,
                "predicted_down": names,
                "load_balanced_sets": sorted(
                    set().union(*(sets_of.get(pk, set()) for pk in vms_of[view.application.pk]))
                ),
            }
        )
    return found


def down_now(application_ids: list[int]) -> dict[str, list[str]]:
    """Return, per application the run touches (by id), the roles with no member up now (the VMs' observed states)."""
    applications = list(Application.objects.filter(pk__in=application_ids).order_by("name", "pk"))
    return {
        str(view.application.pk): [view.role_name(key) for key in view.assessment.now.down_roles]
        for view in application_views(applications)
        if view.assessment.now.down_roles
    }


def maintenance_runs() -> list[MaintenanceRun]:
    return list(MaintenanceRun.objects.select_related("started_by").order_by("-created_at", "-pk")[:RECENT_RUNS])


@dataclass(frozen=True)
class RoleObserved:
    application: str
    role: str
    down_seconds: float


@dataclass(frozen=True)
class RoundRequests:
    """The connections the load balancer failed for an application's sets in a round; None: not measured."""

    round: int
    lost: int | None


@dataclass(frozen=True)
class ApplicationReport:
    application: str
    predicted_up: bool
    predicted_down: list[str]
    observed_down: list[RoleObserved]
    requests_lost: list[RoundRequests]

    @property
    def requests_measured(self) -> bool:
        return any(counted.lost is not None for counted in self.requests_lost)

    @property
    def observed_up(self) -> bool:
        return not self.observed_down

    @property
    def matched(self) -> bool:
        return self.predicted_up == self.observed_up and set(self.predicted_down) == {
            role.role for role in self.observed_down
        }


@dataclass(frozen=True)
class RoundTimeline:
    number: int
    events: list[MaintenanceEvent]


@dataclass(frozen=True)
class RunReport:
    rounds: list[RoundTimeline]
    applications: list[ApplicationReport]

    @property
    def matched(self) -> bool:
        return all(application.matched for application in self.applications)


def down_seconds(events: list[MaintenanceEvent], end: datetime) -> dict[tuple[str, str], float]:
    """Add up, per (application, role), the time between an event that found the role down and the next that did not."""
    totals: dict[tuple[str, str], float] = {}
    since: dict[tuple[str, str], datetime] = {}
    for event in events:
        now_down = {(application, role) for application, roles in event.down_roles.items() for role in roles}
        for key in now_down - set(since):
            since[key] = event.at
        for key in set(since) - now_down:
            totals[key] = totals.get(key, 0.0) + (event.at - since.pop(key)).total_seconds()
    for key, started in since.items():
        totals[key] = totals.get(key, 0.0) + (end - started).total_seconds()
    return totals


def requests_lost(round_plan: dict, set_ids: list[int]) -> int | None:
    """Add up the connections a round's load balancers failed for these sets; None when none of them was measured."""
    counted = [round_plan["requests_lost"][str(key)] for key in set_ids if str(key) in round_plan["requests_lost"]]
    return sum(counted) if counted else None


def run_report(run: MaintenanceRun, now: datetime) -> RunReport:
    """Lay out the run's timeline per round and hold each application's prediction to what was observed (one query)."""
    events = list(run.events.order_by("at", "pk"))
    rounds: dict[int, list[MaintenanceEvent]] = {}
    for event in events:
        rounds.setdefault(event.round, []).append(event)
    seconds = down_seconds(events, run.ended_at or now)
    applications = []
    for prediction in run.predictions:
        name, key = prediction["application"], str(prediction["application_id"])
        observed = [
            RoleObserved(name, role, seconds[(key, role)]) for role in prediction["roles"] if (key, role) in seconds
        ]
        requests = [
            RoundRequests(number, requests_lost(round_plan, prediction.get("load_balanced_sets", [])))
            for number, round_plan in enumerate(run.plan.get("rounds", [])[: run.round], start=1)
            if "requests_lost" in round_plan
        ]
        applications.append(
            ApplicationReport(name, prediction["predicted_up"], prediction["predicted_down"], observed, requests)
        )
    return RunReport([RoundTimeline(number, items) for number, items in sorted(rounds.items())], applications)
