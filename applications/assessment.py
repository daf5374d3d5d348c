"""Whether an application stays up: its roles, their members' slots and states, and the scenarios of the platform.

A pure module (no ORM, no Django): selectors turn rows into these values, the pages, the command and the drills
call it. Terms follow the reference "Application availability":

- a member is up when it is Running and, when its role has a load-balanced set, in rotation there;
- a role is up when at least one member is up; the application is up when every role is up;
- a rack failure takes down one fault domain of each set at once (the worst case: racks are not shared knowledge
  across sets); an update round one update domain of each set at once; the stricter scenario one of each;
- a VM in no availability set has no guarantee: it is modelled as the only slot (fault domain 0, update domain 0) of a
  set of its own, so every scenario may take it down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum


class Scenario(StrEnum):
    RACK_FAILURE = "rack"
    UPDATE_ROUND = "update"
    RACK_FAILURE_DURING_UPDATE = "rack_and_update"


SCENARIO_LABELS = {
    Scenario.RACK_FAILURE: "Any one rack failure",
    Scenario.UPDATE_ROUND: "Any one update round",
    Scenario.RACK_FAILURE_DURING_UPDATE: "A rack failure during an update round",
}

# Scenarios that decide whether the application has a single point of failure; the stricter one is advice.
REQUIRED_SCENARIOS = (Scenario.RACK_FAILURE, Scenario.UPDATE_ROUND)


@dataclass(frozen=True)
class Member:
    key: int
    name: str
    fault_domain: int = 0
    update_domain: int = 0
    running: bool = True
    status_label: str = "Running"


@dataclass(frozen=True)
class LoadBalancedSet:
    """A load-balanced set of a role: which of its members the probes keep in rotation."""

    name: str
    in_rotation: dict[int, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class Role:
    key: int
    name: str
    members: tuple[Member, ...]
    set_name: str = ""  # empty: a VM in no availability set
    fault_domain_count: int = 1
    update_domain_count: int = 1
    load_balanced_sets: tuple[LoadBalancedSet, ...] = ()

    @property
    def in_set(self) -> bool:
        return bool(self.set_name)

    def member_in_rotation(self, member: Member) -> bool:
        """Tell whether a member takes traffic: always without a load-balanced set, else in rotation in one."""
        if not self.load_balanced_sets:
            return True
        return any(lb.in_rotation.get(member.key, False) for lb in self.load_balanced_sets)

    def member_up(self, member: Member) -> bool:
        return member.running and self.member_in_rotation(member)

    @property
    def up_members(self) -> tuple[Member, ...]:
        return tuple(member for member in self.members if self.member_up(member))


@dataclass(frozen=True)
class Application:
    name: str
    roles: tuple[Role, ...]
    dependencies: tuple[tuple[int, int], ...] = ()  # (role key, key of the role it depends on)

    def role(self, key: int) -> Role:
        return next(role for role in self.roles if role.key == key)


def as_before_drill(application: Application, running_before: dict[int, bool]) -> Application:
    """Return the application with the members a drill holds as they were before it: the design outside the drill.

    `running_before` maps each held member to whether it was running when the drill began. The drill takes members
    out of rotation only by stopping them, so a member that was running counts as in rotation again.
    """
    roles = []
    for role in application.roles:
        held = {m.key: running_before[m.key] for m in role.members if m.key in running_before}
        if not held:
            roles.append(role)
            continue
        members = tuple(
            replace(m, running=held[m.key], status_label="Running" if held[m.key] else m.status_label)
            if m.key in held
            else m
            for m in role.members
        )
        balanced = tuple(
            replace(lb, in_rotation={k: held.get(k, False) or up for k, up in lb.in_rotation.items()})
            for lb in role.load_balanced_sets
        )
        roles.append(replace(role, members=members, load_balanced_sets=balanced))
    return replace(application, roles=tuple(roles))


# The application's state at one moment -------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """Whether the application is up, which roles are down, and the one to blame (the deepest down)."""

    up: bool
    down_roles: tuple[int, ...]
    blamed: int | None


def depends_on(application: Application) -> dict[int, set[int]]:
    """Map each role to every role it needs, directly or through others."""
    direct: dict[int, set[int]] = {role.key: set() for role in application.roles}
    for role, dependency in application.dependencies:
        direct[role].add(dependency)
    closure: dict[int, set[int]] = {}

    def visit(key: int, path: frozenset[int]) -> set[int]:
        if key in closure:
            return closure[key]
        needed: set[int] = set()
        for dependency in direct[key]:
            if dependency in path:
                continue  # a cycle is refused where dependencies are written; never loop here
            needed |= {dependency} | visit(dependency, path | {dependency})
        closure[key] = needed
        return needed

    for key in direct:
        visit(key, frozenset({key}))
    return closure


def deepest(application: Application, down: Iterable[int]) -> int | None:
    """Pick the role to blame among those down: one that needs no other down role, first in the application's order."""
    down = set(down)
    needs = depends_on(application)
    for role in application.roles:
        if role.key in down and not (needs[role.key] & down):
            return role.key
    return None


def status(application: Application, *, is_down: Callable[[Role, Member], bool] | None = None) -> Status:
    """Judge the application from its members' states, with the members a scenario takes down removed."""
    down = []
    for role in application.roles:
        alive = [m for m in role.up_members if not (is_down and is_down(role, m))]
        if not alive:
            down.append(role.key)
    return Status(up=not down, down_roles=tuple(down), blamed=deepest(application, down))


# Concrete scenarios (what a drill does) -------------------------------------------------------------------------


def rack_failure_status(application: Application, fault_domain: int, *, role: int | None = None) -> Status:
    """Judge the application while fault domain `fault_domain` of every set (and every lone VM's rack 0) is down.

    With `role`, only that role's set (or lone VM) loses the rack.
    """
    return status(
        application,
        is_down=lambda r, member: member.fault_domain == fault_domain and (role is None or r.key == role),
    )


def update_domain_status(application: Application, update_domain: int) -> Status:
    """Judge the application while update domain `update_domain` of every set is being updated."""
    return status(application, is_down=lambda role, member: member.update_domain == update_domain)


def walk_prediction(application: Application) -> tuple[int, ...]:
    """Return the roles a planned maintenance walk (update domain 0, 1, ... of every set) takes down."""
    down: set[int] = set()
    for update_domain in range(max_domains(application, "update_domain_count")):
        down |= set(update_domain_status(application, update_domain).down_roles)
    return ordered(application, down)


def rack_failure_prediction(application: Application, fault_domain: int, *, role: int | None = None) -> tuple[int, ...]:
    """Return the roles a failure of fault domain `fault_domain` of every set (or of one role's set) takes down."""
    return rack_failure_status(application, fault_domain, role=role).down_roles


def max_domains(application: Application, attribute: str) -> int:
    return max((getattr(role, attribute) for role in application.roles), default=1)


def ordered(application: Application, keys: Iterable[int]) -> tuple[int, ...]:
    keys = set(keys)
    return tuple(role.key for role in application.roles if role.key in keys)


# Worst cases (the assessment) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleOutage:
    """How a scenario takes one role down: the domain it hits and the members it takes with it."""

    role: int
    cause: str
    members: tuple[str, ...]


def role_outage(role: Role, scenario: Scenario) -> RoleOutage | None:
    """Return the first way the scenario takes every up member of the role down, or None when the role survives."""
    up = role.up_members
    if not up:
        return RoleOutage(role.key, "no member is up", ())
    if not role.in_set:
        return RoleOutage(role.key, "it is in no availability set, so any rack failure or update round", _names(up))
    fault_domains = range(role.fault_domain_count)
    update_domains = range(role.update_domain_count)
    if scenario == Scenario.RACK_FAILURE:
        for fd in fault_domains:
            if all(m.fault_domain == fd for m in up):
                return RoleOutage(role.key, f"a rack failure in fault domain {fd} of {role.set_name}", _names(up))
    elif scenario == Scenario.UPDATE_ROUND:
        for ud in update_domains:
            if all(m.update_domain == ud for m in up):
                return RoleOutage(role.key, f"planned maintenance of update domain {ud} of {role.set_name}", _names(up))
    else:
        for fd in fault_domains:
            for ud in update_domains:
                if all(m.fault_domain == fd or m.update_domain == ud for m in up):
                    cause = (
                        f"a rack failure in fault domain {fd} during maintenance of update domain {ud} "
                        f"of {role.set_name}"
                    )
                    return RoleOutage(role.key, cause, _names(up))
    return None


def _names(members: Sequence[Member]) -> tuple[str, ...]:
    return tuple(member.name for member in members)


@dataclass(frozen=True)
class Verdict:
    scenario: Scenario
    survives: bool
    outages: tuple[RoleOutage, ...]
    blamed: int | None
    reasons: tuple[str, ...]

    @property
    def label(self) -> str:
        return SCENARIO_LABELS[self.scenario]


def verdict(application: Application, scenario: Scenario) -> Verdict:
    """Judge one scenario at its worst: any one domain of each set at once."""
    outages = tuple(o for role in application.roles if (o := role_outage(role, scenario)) is not None)
    down = [outage.role for outage in outages]
    return Verdict(
        scenario=scenario,
        survives=not outages,
        outages=outages,
        blamed=deepest(application, down),
        reasons=tuple(_reason(application, outage) for outage in outages),
    )


def _reason(application: Application, outage: RoleOutage) -> str:
    role = application.role(outage.role)
    dependants = [application.role(k).name for k, needs in depends_on(application).items() if outage.role in needs]
    if not outage.members:
        text = f"The {role.name} role is down now: none of its members is up."
    else:
        whom = (
            f"{outage.members[0]}, the only member of the {role.name} role"
            if len(role.members) == 1
            else f"{_join(outage.members)}, every member of the {role.name} role that is up"
        )
        cause = outage.cause[0].upper() + outage.cause[1:]
        verb = "takes down" if role.in_set else "can take down"
        text = f"{cause} {verb} {whom}."
    if dependants:
        verb = "depends" if len(dependants) == 1 else "depend"
        text = f"{text[:-1]}; {_join(dependants)} {verb} on {role.name}."
    return text


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# Findings and minimum members ---------------------------------------------------------------------------------


class FindingKind(StrEnum):
    ONE_VM = "one_vm"
    NO_SET = "no_set"
    SHARED_DOMAIN = "shared_domain"
    ONE_LB_MEMBER = "one_lb_member"
    DEPENDS_ON_WEAK = "depends_on_weak"


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    role: int
    text: str
    subject: int | None = None  # the VM (no set), the role depended on, or None for the role itself


def findings(application: Application) -> list[Finding]:
    """List what makes each role fragile, each with what to fix, then the roles that depend on fragile ones."""
    found: list[Finding] = []
    for role in application.roles:
        if len(role.members) == 1:
            only = role.members[0]
            found.append(
                Finding(FindingKind.ONE_VM, role.key, f"The {role.name} role has one virtual machine, {only.name}.")
            )
        if not role.in_set:
            for member in role.members:
                found.append(
                    Finding(
                        FindingKind.NO_SET,
                        role.key,
                        f"{member.name} is in no availability set: the platform gives it no guarantee.",
                        member.key,
                    )
                )
        elif shared := shared_domain(role):
            found.append(Finding(FindingKind.SHARED_DOMAIN, role.key, shared))
        for lb in role.load_balanced_sets:
            if len(lb.in_rotation) == 1:
                found.append(
                    Finding(FindingKind.ONE_LB_MEMBER, role.key, f"The load-balanced set {lb.name} has one member.")
                )
    weak = {finding.role for finding in found}
    needs = depends_on(application)
    for role in application.roles:
        for dependency in ordered(application, needs[role.key] & weak):
            name = application.role(dependency).name
            found.append(
                Finding(
                    FindingKind.DEPENDS_ON_WEAK,
                    role.key,
                    f"The {role.name} role depends on {name}, which has a finding of its own.",
                    dependency,
                )
            )
    return found


def shared_domain(role: Role) -> str:
    """Say how the set's members share a fault or update domain while another domain of that kind is free, or ""."""
    for attribute, count, label in (
        ("fault_domain", role.fault_domain_count, "fault domain"),
        ("update_domain", role.update_domain_count, "update domain"),
    ):
        loads = [0] * count
        for member in role.members:
            loads[getattr(member, attribute)] += 1
        crowded = [d for d, load in enumerate(loads) if load > 1]
        free = [d for d, load in enumerate(loads) if load == 0]
        if crowded and free:
            return (
                f"Members of {role.set_name} share {label} {crowded[0]} while {label} {free[0]} is free: "
                f"a rebalance would spread them."
            )
    return ""


@dataclass(frozen=True)
class Minimum:
    scenario: Scenario
    needed: int | None  # None: no number of members survives it (a lone VM, or a set with one domain)
    has: int


def minimum_members(role: Role) -> list[Minimum]:
    """Return how many members the role needs to survive each scenario, placed as the platform places them."""
    has = len(role.up_members)
    fds, uds = role.fault_domain_count, role.update_domain_count
    if not role.in_set:
        return [Minimum(scenario, None, has) for scenario in Scenario]
    combined: int | None = None
    if fds >= 2 and uds >= 2:
        # Three members on the diagonal survive when there are three of each; otherwise a fourth is needed.
        combined = 3 if fds >= 3 and uds >= 3 else 4
    return [
        Minimum(Scenario.RACK_FAILURE, 2 if fds >= 2 else None, has),
        Minimum(Scenario.UPDATE_ROUND, 2 if uds >= 2 else None, has),
        Minimum(Scenario.RACK_FAILURE_DURING_UPDATE, combined, has),
    ]


@dataclass(frozen=True)
class Assessment:
    verdicts: tuple[Verdict, ...]
    findings: tuple[Finding, ...]
    minimums: dict[int, list[Minimum]]
    now: Status

    @property
    def single_points_of_failure(self) -> tuple[int, ...]:
        """The roles that a required scenario (or the present) takes down: each one can stop the application."""
        keys = {outage.role for v in self.verdicts if v.scenario in REQUIRED_SCENARIOS for outage in v.outages}
        return tuple(sorted(keys | set(self.now.down_roles)))

    @property
    def has_single_point_of_failure(self) -> bool:
        return bool(self.single_points_of_failure)


def assess(application: Application) -> Assessment:
    """Judge every scenario, list the findings and each role's minimum members."""
    return Assessment(
        verdicts=tuple(verdict(application, scenario) for scenario in Scenario),
        findings=tuple(findings(application)),
        minimums={role.key: minimum_members(role) for role in application.roles},
        now=status(application),
    )
