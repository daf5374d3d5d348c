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


def placed(key: int, name: str, fd: int, ud: int, rack: str, **kwargs) -> Member:
    """A member on a host in rack `rack` of West US."""
    return Member(key, name, fd, ud, rack=rack, rack_name=f"{rack} of West US", **kwargs)


def random_rack(rng: random.Random, racks: list[str], bound: str) -> str | None:
    """Mostly the fault domain's rack; sometimes no placement, sometimes another rack (data from before binding)."""
    draw = rng.random()
    if draw < 0.2:
        return None
    return bound if draw < 0.9 else rng.choice(racks)


def random_application(rng: random.Random) -> Application:
    """Build 1-6 roles of 1-8 members with random slots, racks, states, load-balanced sets and acyclic dependencies.

    The region has 1-4 racks; each set's fault domains are bound to racks at random, so fewer racks than fault
    domains share them; some members have no placement; lone VMs sit on any rack or none.
    """
    racks = [f"r{index}" for index in range(rng.randint(1, 4))]
    roles = []
    for key in range(rng.randint(1, 6)):
        in_set = rng.random() < 0.8
        size = rng.randint(1, 8) if in_set else 1
        fds, uds = (rng.randint(1, 3), rng.randint(1, 5)) if in_set else (1, 1)
        bound = [rng.choice(racks) for _ in range(fds)]
        members = []
        for index in range(size):
            fd = rng.randrange(fds)
            rack = random_rack(rng, racks, bound[fd])
            members.append(
                Member(
                    key=key * 100 + index,
                    name=f"vm{key}-{index}",
                    fault_domain=fd,
                    update_domain=rng.randrange(uds),
                    running=rng.random() < 0.85,
                    rack=rack,
                    rack_name=f"{rack} of West US" if rack else "",
                )
            )
        members = tuple(members)
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


def physical_racks_and_stand_ins(application: Application) -> list[tuple[str, object]]:
    """Every rack a member sits on: ("rack", id) for a host's rack, ("fd", k) for fault domain k of every set."""
    found = []
    for role in application.roles:
        for m in role.members:
            rack = ("rack", m.rack) if m.rack is not None else ("fd", m.fault_domain)
            if rack not in found:
                found.append(rack)
    return found


def sits_on(member: Member, rack: tuple[str, object] | None) -> bool:
    if rack is None:
        return False
    kind, value = rack
    return member.rack == value if kind == "rack" else member.rack is None and member.fault_domain == value


def scenario_choices(application: Application, scenario: Scenario) -> list[tuple[object, list[list[int | None]]]]:
    """Every way the scenario may strike: the rack down (None: none) and, per set, the update domain it restarts."""
    racks = physical_racks_and_stand_ins(application)
    every_ud = [list(range(role.update_domain_count)) for role in application.roles]
    no_ud = [[None] for _ in application.roles]
    if scenario == Scenario.RACK_FAILURE:
        return [(rack, no_ud) for rack in racks]
    if scenario == Scenario.UPDATE_ROUND:
        return [(None, every_ud)]
    return [(rack, every_ud) for rack in racks]


def role_up_when(role: Role, rack: tuple[str, object] | None, ud: int | None) -> bool:
    if not role.set_name:
        return False  # a VM in no set: any scenario may take it down
    return any(serves(role, m) and not sits_on(m, rack) and m.update_domain != ud for m in role.members)


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
    """Enumerate every rack with every combination of one update domain per set; return the roles down in any."""
    down: set[int] = set()
    for rack, per_role in scenario_choices(application, scenario):
        if len(list(itertools.product(*per_role))) <= 20000:
            for combination in itertools.product(*per_role):
                for role, ud in zip(application.roles, combination, strict=True):
                    if not role_up_when(role, rack, ud):
                        down.add(role.key)
        else:  # too many combinations: with the rack fixed, each role's fate depends only on its own set's choice
            for role, choices in zip(application.roles, per_role, strict=True):
                if any(not role_up_when(role, rack, ud) for ud in choices):
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
    already_down = {r.key for r in application.roles if not any(serves(r, m) for m in r.members)}
    for fd in range(3):
        assert set(rack_failure_prediction(application, fd)) == drill_expectation(application, fd, application.roles)
        # The rack of one role's set only: that role may fall; the others only when they are down already.
        for role in application.roles:
            expected = already_down | drill_expectation(application, fd, [role])
            assert set(rack_failure_prediction(application, fd, role=role.key)) == expected


def drill_expectation(application: Application, fd: int, scope: list[Role]) -> set[int]:
    """The roles of `scope` down when fault domain `fd` fails: its one host rack if all its members share one."""
    in_fd = [m for role in scope for m in role.members if m.fault_domain == fd]
    racks = {m.rack for m in in_fd}
    if len(racks) == 1 and None not in racks:
        (rack,) = racks

        def hit(m: Member) -> bool:
            return m.rack == rack
    else:

        def hit(m: Member) -> bool:
            return m.fault_domain == fd

    return {role.key for role in scope if not any(serves(role, m) and not hit(m) for m in role.members)}


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


def check_against_enumeration(application: Application) -> None:
    assessment = assess(application)
    for v in assessment.verdicts:
        expected = brute_force_down_roles(application, v.scenario)
        assert {outage.role for outage in v.outages} == expected, (v.scenario, application)
        assert v.blamed == brute_force_blame(application, expected)


def test_every_small_placement_over_two_racks_matches_the_enumeration():
    """Two members of a set and a lone VM, each in every slot on rack r1, r2 or none: every verdict as enumerated."""
    slots = [(fd, ud, rack) for fd in range(2) for ud in range(2) for rack in (None, "r1", "r2")]
    for first, second in itertools.product(slots, repeat=2):
        for lone_rack in (None, "r1", "r2"):
            members = tuple(
                Member(key, f"vm{key}", fd, ud, rack=rack, rack_name=f"{rack} of West US" if rack else "")
                for key, (fd, ud, rack) in ((1, first), (2, second))
            )
            web = Role(1, "Web", members, "WebSet", 2, 2)
            data = Role(2, "Data", (Member(3, "SQL1", rack=lone_rack, rack_name=f"{lone_rack} of West US"),))
            check_against_enumeration(Application("a", (web, data), ((1, 2),)))
            check_against_enumeration(Application("a", (web,)))


def test_members_without_a_placement_keep_fault_domain_k_as_one_rack_of_every_set():
    """With no placement, fault domain k of every set stands for one rack, as before the topology was known."""
    web = Role(1, "Web", (Member(1, "IIS1", 0, 0), Member(2, "IIS2", 1, 1)), "WebSet", 2, 5)
    data = Role(2, "Data", (Member(3, "SQL1", 0, 0), placed(4, "SQL2", 1, 1, "r2")), "SQLSet", 2, 5)
    application = Application("Shop", (web, data), ((1, 2),))
    assert rack_failure_prediction(application, 0) == ()
    # SQL2 on r2 is not in the stand-in for fault domain 1: each set keeps a member up in every scenario.
    assert assess(application).verdicts[0].survives
    both_in_fd0 = Role(2, "Data", (Member(3, "SQL1", 0, 0), Member(4, "SQL2", 0, 1)), "SQLSet", 2, 5)
    (reason,) = assess(Application("Shop", (web, both_in_fd0), ((1, 2),))).verdicts[0].reasons
    assert reason == (
        "A rack failure in fault domain 0 of SQLSet takes down SQL1 and SQL2, every member of the Data role that is "
        "up; Web depends on Data."
    )


def test_fault_domains_sharing_a_rack_take_the_set_down_together_and_are_named():
    """Fault domains 0 and 1 of SQLSet on one rack: that rack's failure takes the set down, and the finding says so."""
    web = Role(1, "Web", (placed(1, "IIS1", 0, 0, "r1"), placed(2, "IIS2", 1, 1, "r2")), "WebSet", 2, 5)
    data = Role(2, "Data", (placed(3, "SQL1", 0, 0, "r2"), placed(4, "SQL2", 1, 1, "r2")), "SQLSet", 2, 5)
    application = Application("Shop", (web, data), ((1, 2),))
    assessment = assess(application)
    rack = assessment.verdicts[0]
    assert not rack.survives and rack.blamed == 2
    assert rack.reasons == (
        "Rack r2 of West US holds SQL1 and SQL2, every member of the Data role that is up: a failure of that rack "
        "takes the role down; Web depends on Data.",
    )
    assert assessment.verdicts[1].survives  # the update round stays as it was: two update domains
    shared = [f.text for f in assessment.findings if f.kind == FindingKind.SHARED_RACK]
    assert shared == [
        "Fault domains 0 and 1 of SQLSet share rack r2 of West US: a failure of that rack takes the whole set down."
    ]
    assert {m.scenario: m.needed for m in assessment.minimums[2]} == {
        Scenario.RACK_FAILURE: None,
        Scenario.UPDATE_ROUND: 2,
        Scenario.RACK_FAILURE_DURING_UPDATE: None,
    }
    assert assessment.single_points_of_failure == (2,)


def test_a_shared_rack_holding_part_of_the_set_names_the_members_it_takes():
    members = (placed(1, "SQL1", 0, 0, "r1"), placed(2, "SQL2", 1, 1, "r1"), placed(3, "SQL3", 2, 2, "r2"))
    role = Role(1, "Data", members, "SQLSet", 3, 5)
    assessment = assess(Application("a", (role,)))
    assert [f.text for f in assessment.findings] == [
        "Fault domains 0 and 1 of SQLSet share rack r1 of West US: a failure of that rack takes SQL1 and SQL2 down."
    ]
    assert assessment.verdicts[0].survives
    # Two racks for three fault domains: a rack failure during an update round needs a fourth member.
    assert {m.scenario: m.needed for m in assessment.minimums[1]}[Scenario.RACK_FAILURE_DURING_UPDATE] == 4
    assert not assessment.verdicts[2].survives


def test_every_member_of_a_role_on_one_rack_is_a_finding_and_a_lone_vm_names_its_rack():
    web = Role(1, "Web", (placed(1, "IIS1", 0, 0, "r1"), placed(2, "IIS2", 0, 1, "r1")), "WebSet", 2, 5)
    data = Role(2, "Data", (placed(3, "SQL1", 0, 0, "r1"),))
    application = Application("Shop", (web, data), ((1, 2),))
    assessment = assess(application)
    texts = {f.kind: f.text for f in assessment.findings}
    assert texts[FindingKind.ONE_RACK] == (
        "IIS1 and IIS2, every member of the Web role, sit on rack r1 of West US: a failure of that rack takes the "
        "role down."
    )
    assert FindingKind.SHARED_RACK not in texts
    rack = assessment.verdicts[0]
    assert rack.reasons == (
        "Rack r1 of West US holds IIS1 and IIS2, every member of the Web role that is up: a failure of that rack "
        "takes the role down.",
        "Rack r1 of West US holds SQL1, the only member of the Data role, and it is in no availability set: a "
        "failure of that rack takes the role down; Web depends on Data.",
    )
    update = assessment.verdicts[1]
    (lone,) = update.reasons
    assert lone.startswith("It is in no availability set, so any rack failure or update round")


def test_a_drill_of_a_fault_domain_on_one_rack_predicts_that_rack_s_failure():
    """Fault domain 0 of every set on r1: the prediction takes down all on r1, a set's fault domain 1 there too."""
    web = Role(1, "Web", (placed(1, "IIS1", 0, 0, "r1"), placed(2, "IIS2", 1, 1, "r2")), "WebSet", 2, 5)
    data = Role(2, "Data", (placed(3, "SQL1", 0, 0, "r1"), placed(4, "SQL2", 1, 1, "r1")), "SQLSet", 2, 5)
    application = Application("Shop", (web, data), ((1, 2),))
    assert rack_failure_prediction(application, 0) == (2,)
    assert rack_failure_prediction(application, 1) == ()  # IIS2 on r2, SQL2 on r1: no one rack, the stand-in
    unplaced = Role(2, "Data", (Member(3, "SQL1", 0, 0), placed(4, "SQL2", 1, 1, "r1")), "SQLSet", 2, 5)
    assert rack_failure_prediction(Application("Shop", (web, unplaced), ((1, 2),)), 0) == ()


@pytest.mark.parametrize(("racks", "uds"), [(r, u) for r in range(1, 4) for u in range(1, 6)])
def test_minimum_members_counts_the_racks_the_fault_domains_offer(racks, uds):
    """Three fault domains bound to `racks` racks: the minimums are those of a set with that many fault domains."""
    members = tuple(placed(fd, f"vm{fd}", fd, 0, f"r{min(fd, racks - 1)}") for fd in range(3))
    role = Role(1, "r", members, "set", 3, uds)
    plain = Role(1, "r", (Member(1, "a"),), "set", racks, uds)
    assert [(m.scenario, m.needed) for m in minimum_members(role)] == [
        (m.scenario, m.needed) for m in minimum_members(plain)
    ]
