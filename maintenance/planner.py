"""Which hosts may be taken down together: rounds of host maintenance that keep every application up.

A pure module (no ORM, no Django): the selector turns rows into these values, the services store the plan and the
worker walks it. The rule of a round:

- the virtual machines going down (the running ones on the round's hosts) belong to at most one update domain of
  each availability set;
- no role of an application in a set loses every member that is up;
- a VM in no availability set has no guarantee: its downtime is named, it cannot be avoided.

A host whose own VMs break the rule fits in no round: it is named with the reason and left out. The rounds come from
a greedy first fit, the most constrained hosts first; :func:`lower_bound` gives a floor on the rounds any plan needs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from portal.text import join_and


@dataclass(frozen=True)
class Host:
    key: int
    name: str


@dataclass(frozen=True)
class Vm:
    """A virtual machine on one of the hosts: its set's slot, or none, and whether it goes down with its host."""

    key: int
    name: str
    host: int
    set_key: int | None = None
    set_name: str = ""
    update_domain: int = 0
    running: bool = True


@dataclass(frozen=True)
class Role:
    """A role of an application: the members that are up now, wherever they are. Roles in no set are lone VMs."""

    key: int
    name: str
    application: str
    up_members: tuple[int, ...]
    in_set: bool = True


@dataclass(frozen=True)
class DownVm:
    key: int
    name: str
    host: int
    set_name: str
    update_domain: int | None
    roles: tuple[str, ...]  # "Application: Role"


@dataclass(frozen=True)
class Round:
    hosts: tuple[int, ...]
    host_names: tuple[str, ...]
    vms: tuple[DownVm, ...]
    why: tuple[str, ...]  # why each host is in this round and not an earlier one, and what the round keeps up


@dataclass(frozen=True)
class Unplaceable:
    host: int
    name: str
    reason: str


@dataclass(frozen=True)
class Plan:
    rounds: tuple[Round, ...]
    unavoidable: tuple[DownVm, ...]  # VMs in no availability set: downtime the plan cannot avoid
    unplaceable: tuple[Unplaceable, ...]


@dataclass
class _Load:
    """What one host, or one round of hosts, takes down: each set's update domains and each role's up members."""

    domains: dict[int, set[int]] = field(default_factory=dict)
    role_down: Counter = field(default_factory=Counter)
    holders: dict[tuple[int, int], list[str]] = field(default_factory=dict)  # (set, update domain) -> host names

    def add(self, other: _Load) -> None:
        for set_key, domains in other.domains.items():
            self.domains.setdefault(set_key, set()).update(domains)
        self.role_down.update(other.role_down)
        for slot, names in other.holders.items():
            self.holders.setdefault(slot, []).extend(names)


class _Problem:
    """The plan's input indexed: each host's load and the words for a conflict."""

    def __init__(self, hosts: Sequence[Host], vms: Sequence[Vm], roles: Sequence[Role]) -> None:
        self.hosts = list(hosts)
        self.names = {host.key: host.name for host in hosts}
        chosen = set(self.names)
        self.vms = [vm for vm in vms if vm.host in chosen]
        self.set_names = {vm.set_key: vm.set_name for vm in self.vms if vm.set_key is not None}
        self.roles = {role.key: role for role in roles if role.in_set and role.up_members}
        self.roles_of: dict[int, list[Role]] = {}
        for role in roles:
            for member in role.up_members:
                self.roles_of.setdefault(member, []).append(role)
        self.loads = {host.key: _Load() for host in hosts}
        for vm in self.vms:
            if not vm.running:
                continue
            load = self.loads[vm.host]
            if vm.set_key is not None:
                load.domains.setdefault(vm.set_key, set()).add(vm.update_domain)
                names = load.holders.setdefault((vm.set_key, vm.update_domain), [])
                if self.names[vm.host] not in names:
                    names.append(self.names[vm.host])
            for role in self.roles_of.get(vm.key, []):
                if role.key in self.roles:
                    load.role_down[role.key] += 1

    def conflict(self, load: _Load) -> str:
        """Say how a load breaks the rule (the first way found), or "" when it keeps it."""
        for set_key, domains in sorted(load.domains.items()):
            if len(domains) > 1:
                first, second = sorted(domains)[:2]
                holders = join_and(sorted(set(load.holders[(set_key, first)] + load.holders[(set_key, second)])))
                return (
                    f"set {self.set_names[set_key]} would lose update domains {first} and {second} at once "
                    f"(on {holders})"
                )
        for role_key, down in sorted(load.role_down.items()):
            role = self.roles[role_key]
            if down >= len(role.up_members):
                return (
                    f"role {role.name} of {role.application} would lose every member that is up "
                    f"({join_and(sorted(self._vm_name(key) for key in role.up_members))})"
                )
        return ""

    def _vm_name(self, key: int) -> str:
        return next((vm.name for vm in self.vms if vm.key == key), str(key))

    def combined(self, host_keys: Iterable[int]) -> _Load:
        load = _Load()
        for key in host_keys:
            load.add(self.loads[key])
        return load

    def weight(self, host: Host) -> int:
        """Count what constrains a host: its set members and its role members going down."""
        load = self.loads[host.key]
        return sum(len(domains) for domains in load.domains.values()) + sum(load.role_down.values())

    def down_vm(self, vm: Vm) -> DownVm:
        roles = tuple(f"{role.application}: {role.name}" for role in self.roles_of.get(vm.key, []))
        return DownVm(
            vm.key, vm.name, vm.host, vm.set_name, vm.update_domain if vm.set_key is not None else None, roles
        )


def plan(hosts: Sequence[Host], vms: Sequence[Vm], roles: Sequence[Role]) -> Plan:
    """Group the hosts into rounds that keep the rule, most constrained hosts first, each into the first that fits."""
    problem = _Problem(hosts, vms, roles)
    unplaceable = []
    placeable = []
    for host in problem.hosts:
        reason = problem.conflict(problem.loads[host.key])
        if reason:
            unplaceable.append(Unplaceable(host.key, host.name, f"Alone, {host.name} breaks the rule: {reason}."))
        else:
            placeable.append(host)
    placeable.sort(key=lambda host: (-problem.weight(host), host.name, host.key))
    rounds: list[list[int]] = []
    round_loads: list[_Load] = []
    why: list[list[str]] = []
    for host in placeable:
        load = problem.loads[host.key]
        refused = []
        for index, round_load in enumerate(round_loads):
            trial = _Load()
            trial.add(round_load)
            trial.add(load)
            reason = problem.conflict(trial)
            if not reason:
                rounds[index].append(host.key)
                round_load.add(load)
                why[index].append(_placed(host.name, refused))
                break
            refused.append(f"round {index + 1}: {reason}")
        else:
            rounds.append([host.key])
            round_loads.append(_Load())
            round_loads[-1].add(load)
            why.append([_placed(host.name, refused)])
    unavoidable = tuple(
        problem.down_vm(vm)
        for vm in sorted(problem.vms, key=lambda vm: (vm.name, vm.key))
        if vm.running and vm.set_key is None and vm.host not in {u.host for u in unplaceable}
    )
    built = []
    for keys, reasons in zip(rounds, why, strict=True):
        members = set(keys)
        down = tuple(
            problem.down_vm(vm)
            for vm in sorted(problem.vms, key=lambda vm: (problem.names[vm.host], vm.name, vm.key))
            if vm.running and vm.host in members
        )
        built.append(Round(tuple(keys), tuple(problem.names[key] for key in keys), down, tuple(reasons)))
    return Plan(tuple(built), unavoidable, tuple(unplaceable))


def _placed(name: str, refused: list[str]) -> str:
    if not refused:
        return f"{name}: fits with the hosts before it."
    return f"{name}: not earlier, because in {'; in '.join(refused)}."


def lower_bound(hosts: Sequence[Host], vms: Sequence[Vm], roles: Sequence[Role]) -> int:
    """Return a floor on the rounds any valid plan of the placeable hosts needs.

    Hosts holding different update domains of one set each need a round of their own (they conflict pairwise), a role
    whose every up member is on the hosts needs at least two rounds, and so does each host of any group of hosts that
    conflict pairwise (the largest such group found greedily).
    """
    problem = _Problem(hosts, vms, roles)
    placeable = [host.key for host in problem.hosts if not problem.conflict(problem.loads[host.key])]
    if not placeable:
        return 0
    bound = 1
    domains: dict[int, set[int]] = {}
    for key in placeable:
        for set_key, uds in problem.loads[key].domains.items():
            domains.setdefault(set_key, set()).update(uds)
    bound = max([bound, *(len(uds) for uds in domains.values())])
    totals = problem.combined(placeable).role_down
    if any(totals[key] >= len(problem.roles[key].up_members) for key in totals):
        bound = max(bound, 2)
    return max(bound, _clique(problem, placeable))


def _apart(problem: _Problem, placeable: list[int]) -> dict[int, set[int]]:
    """Map each host to the hosts it may not share a round with."""
    apart: dict[int, set[int]] = {key: set() for key in placeable}
    for index, first in enumerate(placeable):
        for second in placeable[index + 1 :]:
            if problem.conflict(problem.combined([first, second])):
                apart[first].add(second)
                apart[second].add(first)
    return apart


def _clique(problem: _Problem, placeable: list[int]) -> int:
    """Return the size of a group of hosts of which no two may share a round (found greedily): each needs its own."""
    apart = _apart(problem, placeable)
    best = 0
    for start in placeable:
        clique = [start]
        candidates = set(apart[start])
        while candidates:
            chosen = max(candidates, key=lambda key: (len(apart[key] & candidates), -key))
            clique.append(chosen)
            candidates &= apart[chosen]
        best = max(best, len(clique))
    return best
