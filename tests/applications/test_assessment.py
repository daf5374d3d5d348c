"""The assessment against an independent enumeration of every scenario, and its wording on the seed's example."""

from __future__ import annotations

import itertools
import random

import pytest

from applications.assessment import (
    Application,
    FindingKind,
    LoadBalancedSet,
    Member,
    Role,
    Scenario,
    as_before_drill,
    assess,
    minimum_members,
    rack_failure_prediction,
    walk_prediction,
)

CASES = 1500


def random_application(rng: random.Random) -> Application:
    """Build 1-6 roles of 1-8 members with random slots, states, load-balanced sets and acyclic dependencies."""
    roles = []
    for key in range(rng.randint(1, 6)):
        in_set = rng.random() < 0.8
        size = rng.randint(1, 8) if in_set else 1
        fds, uds = (rng.randint(1, 3), rng.randint(1, 5)) if in_set else (1, 1)
        members = tuple(
            Member(
                key=key * 100 + index,
                name=f"vm{key}-{index}",
                fault_domain=rng.randrange(fds),
                update_domain=rng.randrange(uds),
                running=rng.random() < 0.85,
            )
            for index in range(size)
        )
        lbs = ()
        if rng.random() < 0.4:
            chosen = [m for m in members if rng.random() < 0.8] or [members[0]]
            lbs = (LoadBalancedSet(f"lb{key}", {m.key: rng.random() < 0.85 for m in chosen}),)
        roles.append(Role(key, f"role{key}", members, f"set{key}" if in_set else "", fds, uds, lbs))
    # Dependencies only from a later role to an earlier one in a random order: never a cycle.
    order = [role.key for role in roles]
    rng.shuffle(order)
    dependencies = tuple((order[i], order[j]) for i in range(len(order)) for j in range(i) if rng.random() < 0.35)
    return Application("app", tuple(roles), dependencies)


# The independent model: every member's fate written out, every scenario enumerated ---------------------------


def serves(role: Role, member: Member) -> bool:
    if not member.running:
        return False
    if role.load_balanced_sets:
        return any(lb.in_rotation.get(member.key) is True for lb in role.load_balanced_sets)
    return True


def domain_choices(role: Role, scenario: Scenario) -> list[tuple[int | None, int | None]]:
    """Every (fault domain, update domain) the scenario may hit in the role's set; None where it hits none."""
    fds = list(range(role.fault_domain_count))
    uds = list(range(role.update_domain_count))
    if scenario == Scenario.RACK_FAILURE:
        return [(fd, None) for fd in fds]
    if scenario == Scenario.UPDATE_ROUND:
        return [(None, ud) for ud in uds]
    return [(fd, ud) for fd in fds for ud in uds]


def role_up_when(role: Role, choice: tuple[int | None, int | None]) -> bool:
    if not role.set_name:
        return False  # a VM in no set: any scenario may take it down
    fd, ud = choice
    return any(serves(role, m) and m.fault_domain != fd and m.update_domain != ud for m in role.members)


def reachability(application: Application) -> dict[int, set[int]]:
    """Floyd-Warshall over the dependency edges: which roles each role needs."""
    keys = [role.key for role in application.roles]
    needs = {a: {b: False for b in keys} for a in keys}
    for a, b in application.dependencies:
        needs[a][b] = True
    for k in keys:
        for a in keys:
            for b in keys:
                if needs[a][k] and needs[k][b]:
                    needs[a][b] = True
    return {a: {b for b in keys if needs[a][b]} for a in keys}


def brute_force_blame(application: Application, down: set[int]) -> int | None:
    needs = reachability(application)
    candidates = [role.key for role in application.roles if role.key in down and not needs[role.key] & down]
    return candidates[0] if candidates else None


def brute_force_down_roles(application: Application, scenario: Scenario) -> set[int]:
    """Enumerate every combination of one hit per set; return the roles down in at least one of them."""
    per_role = [domain_choices(role, scenario) for role in application.roles]
    down: set[int] = set()
    if len(list(itertools.product(*[range(len(c)) for c in per_role]))) <= 20000:
        for combination in itertools.product(*per_role):
            for role, choice in zip(application.roles, combination, strict=True):
                if not role_up_when(role, choice):
                    down.add(role.key)
    else:  # too many combinations: each role's fate depends only on its own set's choice
        for role, choices in zip(application.roles, per_role, strict=True):
            if any(not role_up_when(role, choice) for choice in choices):
                down.add(role.key)
    return down


@pytest.mark.parametrize("seed", range(CASES))
def test_every_verdict_matches_an_enumeration_of_all_scenarios(seed):
    """Survival, the roles that go down and the role to blame agree with the enumeration, for every scenario."""
    application = random_application(random.Random(seed))
    assessment = assess(application)
    for v in assessment.verdicts:
        expected = brute_force_down_roles(application, v.scenario)
        assert v.survives == (not expected)
        assert {outage.role for outage in v.outages} == expected
        assert v.blamed == brute_force_blame(application, expected)
        assert len(v.reasons) == len(expected)
    now_down = {r.key for r in application.roles if not any(serves(r, m) for m in r.members)}
    assert set(assessment.now.down_roles) == now_down
    required = brute_force_down_roles(application, Scenario.RACK_FAILURE) | brute_force_down_roles(
        application, Scenario.UPDATE_ROUND
    )
    assert assessment.has_single_point_of_failure == bool(required | now_down)


@pytest.mark.parametrize("seed", range(300))
def test_drill_predictions_match_one_domain_of_every_set_at_once(seed):
    """The walk and a rack failure of fault domain k take down exactly the roles whose up members all sit there."""
    application = random_application(random.Random(seed))
    walk = set()
    for ud in range(max(r.update_domain_count for r in application.roles)):
        for role in application.roles:
            if not any(serves(role, m) and (m.update_domain != ud if role.set_name else ud != 0) for m in role.members):
                walk.add(role.key)
    assert set(walk_prediction(application)) == walk
    # Walking every set's domains in step takes down the same roles as the worst-case update round.
    assert walk == brute_force_down_roles(application, Scenario.UPDATE_ROUND) | {
        r.key for r in application.roles if not r.set_name
    }
    for fd in range(3):
        expected = {
            role.key
            for role in application.roles
            if not any(serves(role, m) and (m.fault_domain != fd if role.set_name else fd != 0) for m in role.members)
        }
        assert set(rack_failure_prediction(application, fd)) == expected
        # The rack of one role's set only: that role falls exactly when it falls with every set's rack; the
        # others only when they are down already.
        already_down = {r.key for r in application.roles if not any(serves(r, m) for m in r.members)}
        for role in application.roles:
            falls = {role.key} if role.key in expected else set()
            assert set(rack_failure_prediction(application, fd, role=role.key)) == already_down | falls


def survives_all(members: list[tuple[int, int]], fds: int, uds: int) -> bool:
    return all(any(f != fd and u != ud for f, u in members) for fd in range(fds) for ud in range(uds))


@pytest.mark.parametrize(("fds", "uds"), [(f, u) for f in range(1, 4) for u in range(1, 6)])
def test_minimum_members_for_a_rack_failure_during_an_update_round_is_the_smallest_that_can_survive(fds, uds):
    """No placement of fewer members survives every fault-and-update-domain pair; the minimum's does."""
    slots = [(f, u) for f in range(fds) for u in range(uds)]
    smallest = None
    for count in range(1, 6):
        if any(survives_all(list(c), fds, uds) for c in itertools.combinations_with_replacement(slots, count)):
            smallest = count
            break
    role = Role(1, "r", (Member(1, "a"),), "set", fds, uds)
    minimum = {m.scenario: m.needed for m in minimum_members(role)}
    assert minimum[Scenario.RACK_FAILURE_DURING_UPDATE] == smallest
    assert minimum[Scenario.RACK_FAILURE] == (2 if fds >= 2 else None)
    assert minimum[Scenario.UPDATE_ROUND] == (2 if uds >= 2 else None)


def seed_example(*, sql_members: int = 1) -> Application:
    web = Role(
        1,
        "Web",
        (Member(11, "IIS1", 0, 0), Member(12, "IIS2", 1, 1)),
        "WebSet",
        2,
        5,
    )
    if sql_members == 1:
        data = Role(2, "Data", (Member(21, "SQL1"),))
    else:
        data = Role(2, "Data", (Member(21, "SQL1", 0, 0), Member(22, "SQL2", 1, 1)), "SQLSet", 2, 5)
    return Application("Web shop", (web, data), ((1, 2),))


def test_the_seeds_example_names_sql1_as_the_single_point_of_failure():
    assessment = assess(seed_example())
    rack = assessment.verdicts[0]
    assert rack.scenario == Scenario.RACK_FAILURE
    assert not rack.survives
    assert rack.blamed == 2
    assert rack.reasons == (
        "It is in no availability set, so any rack failure or update round can take down SQL1, the only member of "
        "the Data role; Web depends on Data.",
    )
    assert assessment.single_points_of_failure == (2,)
    kinds = {(f.kind, f.role) for f in assessment.findings}
    assert kinds == {
        (FindingKind.ONE_VM, 2),
        (FindingKind.NO_SET, 2),
        (FindingKind.DEPENDS_ON_WEAK, 1),
    }


def test_a_second_sql_server_in_its_own_set_removes_the_single_point_of_failure():
    assessment = assess(seed_example(sql_members=2))
    assert not assessment.has_single_point_of_failure
    assert assessment.findings == ()
    rack, update, combined = assessment.verdicts
    assert rack.survives and update.survives
    assert not combined.survives  # two members per role do not survive a rack failure during an update round


def test_a_rack_failure_names_the_domain_and_every_member_it_takes():
    role = Role(1, "Web", (Member(1, "IIS1", 0, 0), Member(2, "IIS2", 0, 1)), "WebSet", 2, 5)
    (reason,) = assess(Application("a", (role,))).verdicts[0].reasons
    assert reason == (
        "A rack failure in fault domain 0 of WebSet takes down IIS1 and IIS2, every member of the Web role that is up."
    )


def test_a_member_out_of_rotation_does_not_keep_its_role_up():
    role = Role(
        1,
        "Web",
        (Member(1, "IIS1", 0, 0), Member(2, "IIS2", 1, 1)),
        "WebSet",
        2,
        5,
        (LoadBalancedSet("web80", {1: True, 2: False}),),
    )
    assessment = assess(Application("a", (role,)))
    assert not assessment.verdicts[0].survives
    role_in_rotation = Role(1, "Web", role.members, "WebSet", 2, 5, (LoadBalancedSet("web80", {1: True, 2: True}),))
    assert assess(Application("a", (role_in_rotation,))).verdicts[0].survives


def test_a_load_balanced_set_of_one_member_and_a_crowded_set_are_findings():
    role = Role(
        1,
        "Web",
        (Member(1, "IIS1", 0, 0), Member(2, "IIS2", 0, 0)),
        "WebSet",
        2,
        5,
        (LoadBalancedSet("web80", {1: True}),),
    )
    kinds = [f.kind for f in assess(Application("a", (role,))).findings]
    assert kinds == [FindingKind.SHARED_DOMAIN, FindingKind.ONE_LB_MEMBER]


def test_a_drill_s_own_downtime_is_no_fault_of_the_design():
    """During a walk, update domain 0 is down; judged as before the drill, two members in two domains survive."""
    web = Role(
        key=1,
        name="Web",
        members=(
            Member(1, "IIS1", 0, 0, running=False, status_label="Stopped"),
            Member(2, "IIS2", 1, 1),
        ),
        set_name="WebSet",
        fault_domain_count=2,
        update_domain_count=2,
        load_balanced_sets=(LoadBalancedSet("web", {1: False, 2: True}),),
    )
    data = Role(
        key=2,
        name="Data",
        members=(Member(3, "SQL1", 0, 0, running=False), Member(4, "SQL2", 1, 1, running=False)),
        set_name="SQLSet",
        fault_domain_count=2,
        update_domain_count=2,
    )
    application = Application("Shop", (web, data), ((1, 2),))
    assert assess(application).single_points_of_failure == (1, 2)
    # The drill stopped IIS1 and SQL1; SQL2 was already stopped before the drill began.
    before = as_before_drill(application, {1: True, 2: True, 3: True, 4: False})
    assert [m.name for m in before.role(1).up_members] == ["IIS1", "IIS2"]
    assert [m.name for m in before.role(2).up_members] == ["SQL1"]
    assert assess(before).single_points_of_failure == (2,)  # SQL2 was down before: that is the design's own fault
    healthy = as_before_drill(application, {1: True, 2: True, 3: True, 4: True})
    assert assess(healthy).single_points_of_failure == ()
    assert as_before_drill(application, {}) == application
