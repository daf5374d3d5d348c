"""Whether an application stays up: its roles, their members' slots and states, and the scenarios of the platform.

A pure module (no ORM, no Django): selectors turn rows into these values, the pages, the command and the drills
call it. Terms follow the reference "Application availability":

- a member is up when it is Running and, when its role has a load-balanced set, in rotation there;
- a role is up when at least one member is up; the application is up when every role is up;
- a rack failure takes down one rack of the region: every member whose host is in it, whatever its set or fault
  domain (two fault domains of a set may share a rack when the region has fewer racks than the set has fault domains);
- a member not placed on a host has no known rack: its set's fault domain k stands for a rack of its own, the same
  stand-in for fault domain k of every set (the rule before the topology was known, so old data reads as it did);
- an update round takes down one update domain of each set at once; the stricter scenario one rack and one update
  domain of each set at once;
- a VM in no availability set has no guarantee: it is modelled as the only slot (fault domain 0, update domain 0) of a
  set of its own, so every scenario may take it down.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from portal.text import join_and


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
    rack: Hashable | None = None  # the rack of the member's host; None: not placed on a host
    rack_name: str = ""  # how the wording names that rack: "r2 of West US"


@dataclass(frozen=True)
class StandIn:
    """The rack a member with no placement is taken to sit on: fault domain k of every set stands for one rack."""

    fault_domain: int


def rack_of(member: Member) -> Hashable:
    """Return the rack the member goes down with: its host's rack, or the stand-in for its fault domain."""
    return member.rack if member.rack is not None else StandIn(member.fault_domain)


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


def fault_domain_rack(application: Application, fault_domain: int, *, role: int | None = None) -> Hashable:
    """Return the rack a failure of fault domain k means: the one rack every member in it sits on, else the stand-in.

    Members in fault domain k of every set (or of one role's set) all on one host's rack name that rack; any member
    without a placement, or members on different racks, leave fault domain k itself as the stand-in.
    """
    racks = {
        member.rack
        for r in application.roles
        if role is None or r.key == role
        for member in r.members
        if member.fault_domain == fault_domain
    }
    if len(racks) == 1 and None not in racks:
        return racks.pop()
    return StandIn(fault_domain)


def rack_failure_status(application: Application, fault_domain: int, *, role: int | None = None) -> Status:
    """Judge the application while the rack of fault domain `fault_domain` of every set is down.

    When every member in that fault domain sits on one rack, that rack fails: every member on it goes down, whatever
    its fault domain. Otherwise fault domain k of every set (and every lone VM's rack 0) goes down, as the stand-in.
    With `role`, only that role's set (or lone VM) loses the rack.
    """
    rack = fault_domain_rack(application, fault_domain, role=role)
    if isinstance(rack, StandIn):
        on_rack = lambda member: member.fault_domain == fault_domain  # noqa: E731
    else:
        on_rack = lambda member: member.rack == rack  # noqa: E731
    return status(application, is_down=lambda r, member: on_rack(member) and (role is None or r.key == role))


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
    rack_name: str = ""  # the host's rack whose failure alone takes the role down, when one does


def _rack_words(rack: Hashable, members: Sequence[Member], set_name: str) -> str:
    """Name a rack as the wording does: a host's rack by its name, a stand-in as the set's fault domain."""
    if isinstance(rack, StandIn):
        return f"fault domain {rack.fault_domain} of {set_name}"
    return "rack " + next(m.rack_name for m in members if m.rack == rack)


def role_outage(role: Role, scenario: Scenario) -> RoleOutage | None:
    """Return the first way the scenario takes every up member of the role down, or None when the role survives."""
    up = role.up_members
    if not up:
        return RoleOutage(role.key, "no member is up", ())
    racks = list(dict.fromkeys(rack_of(m) for m in up))
    if not role.in_set:
        if scenario != Scenario.UPDATE_ROUND and len(racks) == 1 and not isinstance(racks[0], StandIn):
            name = _rack_words(racks[0], up, "")
            return RoleOutage(role.key, f"a failure of {name}", _names(up), rack_name=name)
        return RoleOutage(role.key, "it is in no availability set, so any rack failure or update round", _names(up))
    if scenario == Scenario.RACK_FAILURE:
        if len(racks) == 1:
            if isinstance(racks[0], StandIn):
                cause = f"a rack failure in {_rack_words(racks[0], up, role.set_name)}"
                return RoleOutage(role.key, cause, _names(up))
            name = _rack_words(racks[0], up, role.set_name)
            return RoleOutage(role.key, f"a failure of {name}", _names(up), rack_name=name)
    elif scenario == Scenario.UPDATE_ROUND:
        for ud in range(role.update_domain_count):
            if all(m.update_domain == ud for m in up):
                return RoleOutage(role.key, f"planned maintenance of update domain {ud} of {role.set_name}", _names(up))
    else:
        # The racks holding members, then (as before the topology was known) each fault domain's stand-in for the
        # members without a placement, or a rack holding none of them.
        physical = [rack for rack in racks if not isinstance(rack, StandIn)]
        candidates: list[Hashable | None] = list(physical)
        if len(physical) < len(racks):
            candidates += [StandIn(fd) for fd in range(role.fault_domain_count)]
        else:
            candidates.append(None)
        for rack in candidates:
            rest = {m.update_domain for m in up if rack_of(m) != rack}
            if len(rest) > 1:
                continue
            ud = min(rest, default=0)
            if rack is None:
                cause = f"planned maintenance of update domain {ud} of {role.set_name} during any rack failure"
            elif isinstance(rack, StandIn):
                cause = (
                    f"a rack failure in fault domain {rack.fault_domain} during maintenance of update domain {ud} "
                    f"of {role.set_name}"
                )
            else:
                cause = (
                    f"a failure of {_rack_words(rack, up, role.set_name)} during maintenance of update domain {ud} "
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
    elif outage.rack_name:
        whom = (
            f"{outage.members[0]}, the only member of the {role.name} role"
            if len(role.members) == 1
            else f"{join_and(outage.members)}, every member of the {role.name} role that is up"
        )
        alone = "" if role.in_set else ", and it is in no availability set"
        rack = outage.rack_name[0].upper() + outage.rack_name[1:]
        text = f"{rack} holds {whom}{alone}: a failure of that rack takes the role down."
    else:
        whom = (
            f"{outage.members[0]}, the only member of the {role.name} role"
            if len(role.members) == 1
            else f"{join_and(outage.members)}, every member of the {role.name} role that is up"
        )
        cause = outage.cause[0].upper() + outage.cause[1:]
        verb = "takes down" if role.in_set else "can take down"
        text = f"{cause} {verb} {whom}."
    if dependants:
        verb = "depends" if len(dependants) == 1 else "depend"
        text = f"{text[:-1]}; {join_and(dependants)} {verb} on {role.name}."
    return text


# Findings and minimum members ---------------------------------------------------------------------------------


class FindingKind(StrEnum):
    ONE_VM = "one_vm"
    NO_SET = "no_set"
    SHARED_DOMAIN = "shared_domain"
    SHARED_RACK = "shared_rack"
    ONE_RACK = "one_rack"
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
        else:
            if shared := shared_domain(role):
                found.append(Finding(FindingKind.SHARED_DOMAIN, role.key, shared))
            for text in shared_racks(role):
                found.append(Finding(FindingKind.SHARED_RACK, role.key, text))
        if one_rack := one_rack_for_role(role):
            found.append(Finding(FindingKind.ONE_RACK, role.key, one_rack))
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


def shared_racks(role: Role) -> list[str]:
    """Say which fault domains of the set sit on one host's rack, one sentence per rack that holds several."""
    fault_domains: dict[Hashable, set[int]] = {}
    holders: dict[Hashable, list[Member]] = {}
    for member in role.members:
        if member.rack is not None:
            fault_domains.setdefault(member.rack, set()).add(member.fault_domain)
            holders.setdefault(member.rack, []).append(member)
    found = []
    for rack, domains in fault_domains.items():
        if len(domains) < 2:
            continue
        on_rack = holders[rack]
        numbers = join_and([str(d) for d in sorted(domains)])
        what = "the whole set" if len(on_rack) == len(role.members) else join_and(_names(on_rack))
        found.append(
            f"Fault domains {numbers} of {role.set_name} share rack {on_rack[0].rack_name}: "
            f"a failure of that rack takes {what} down."
        )
    return found


def one_rack_for_role(role: Role) -> str:
    """Say when every member of a role of several sits on one host's rack in one fault domain, or ""."""
    if len(role.members) < 2 or not role.in_set:
        return ""
    racks = {member.rack for member in role.members}
    domains = {member.fault_domain for member in role.members}
    if len(racks) != 1 or None in racks or len(domains) != 1:
        return ""  # several fault domains on one rack: the set's shared rack says so
    return (
        f"{join_and(_names(role.members))}, every member of the {role.name} role, sit on rack "
        f"{role.members[0].rack_name}: a failure of that rack takes the role down."
    )


def set_racks(role: Role) -> set[Hashable]:
    """Return the racks the set's fault domains offer: each member's rack, and a stand-in for each empty domain."""
    racks = {rack_of(member) for member in role.members}
    used = {member.fault_domain for member in role.members}
    return racks | {StandIn(fd) for fd in range(role.fault_domain_count) if fd not in used}


@dataclass(frozen=True)
class Minimum:
    scenario: Scenario
    needed: int | None  # None: no number of members survives it (a lone VM, or a set with one domain)
    has: int


def minimum_members(role: Role) -> list[Minimum]:
    """Return how many members the role needs to survive each scenario, spread over its set's racks and domains.

    Fault domains that share a rack count as one: the set offers as many racks as `set_racks` finds.
    """
    has = len(role.up_members)
    fds, uds = len(set_racks(role)), role.update_domain_count
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
