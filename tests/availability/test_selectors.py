"""Reads behind the VM dashboard, the Configure tab and the availability-set pages."""

from __future__ import annotations

import pytest

from availability import selectors
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def web_set(subscription):
    return factories.AvailabilitySetFactory(cloud_service__subscription=subscription, name="webset")


def member(availability_set, fault_domain, update_domain, name):
    return factories.MembershipFactory(
        availability_set=availability_set,
        virtual_machine__name=name,
        fault_domain=fault_domain,
        update_domain=update_domain,
    )


def test_virtual_machines_for_holds_only_the_subscriptions_own(subscription):
    own = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
    factories.VirtualMachineFactory()
    assert list(selectors.virtual_machines_for(subscription)) == [own]


def test_a_dashboards_vm_comes_with_its_membership_in_one_query(subscription, web_set, django_assert_num_queries):
    vm = member(web_set, 1, 3, "web1").virtual_machine
    with django_assert_num_queries(1):
        loaded = selectors.virtual_machines_for(subscription).get(pk=vm.pk)
        assert loaded.membership.availability_set.name == "webset"
        assert loaded.cloud_service.region.name == "West US"
        assert loaded.image_version.image.name


def test_neighbours_are_the_other_members_of_the_set(subscription, web_set):
    first = member(web_set, 0, 0, "web1")
    second = member(web_set, 1, 1, "web2")
    member(factories.AvailabilitySetFactory(cloud_service=web_set.cloud_service), 0, 0, "sql1")
    vm = selectors.virtual_machine_dashboard(subscription, first.virtual_machine_id)
    assert selectors.virtual_machine_neighbours(vm) == [
        selectors.MemberRow(second.virtual_machine_id, "web2", "Running", 1, 1)
    ]


def test_a_vm_outside_any_set_has_no_neighbours(subscription):
    vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
    loaded = selectors.virtual_machine_dashboard(subscription, vm.pk)
    assert selectors.virtual_machine_neighbours(loaded) == []


def test_operations_are_the_vms_own_newest_first_and_capped():
    vm = factories.VirtualMachineFactory()
    operations = factories.OperationFactory.create_batch(12, virtual_machine=vm, status="succeeded")
    factories.OperationFactory(status="succeeded")
    recent = selectors.virtual_machine_operations(vm)
    assert len(recent) == selectors.RECENT_OPERATIONS
    assert recent[0] == operations[-1]


def test_set_choices_are_those_of_the_vms_own_cloud_service(subscription, web_set):
    vm = factories.VirtualMachineFactory(cloud_service=web_set.cloud_service)
    factories.AvailabilitySetFactory(cloud_service__subscription=subscription)
    assert selectors.availability_set_choices(vm) == [web_set]


def test_is_last_in_cloud_service():
    vm = factories.VirtualMachineFactory()
    assert selectors.virtual_machine_is_last_in_cloud_service(vm)
    factories.VirtualMachineFactory(cloud_service=vm.cloud_service)
    assert not selectors.virtual_machine_is_last_in_cloud_service(vm)


def test_sets_for_a_subscription_exclude_others(subscription, web_set):
    factories.AvailabilitySetFactory()
    assert list(selectors.availability_sets_for(subscription)) == [web_set]


def test_cloud_services_for_a_subscription_exclude_others(subscription, web_set):
    factories.CloudServiceFactory()
    assert list(selectors.cloud_services_for(subscription)) == [web_set.cloud_service]


def test_grid_places_each_member_in_its_fault_and_update_domain(web_set):
    members = [member(web_set, 0, 0, "web1"), member(web_set, 1, 1, "web2"), member(web_set, 1, 0, "web6")]
    grid = selectors.availability_set_grid(web_set, selectors.availability_set_members(web_set))
    assert [row.fault_domain for row in grid] == [0, 1]
    assert all(len(row.cells) == 5 for row in grid)

    def names(cell):
        return [row.name for row in cell]

    assert names(grid[0].cells[0]) == ["web1"]
    assert names(grid[1].cells[0]) == ["web6"]
    assert names(grid[1].cells[1]) == ["web2"]
    assert grid[0].cells[1] == ()
    assert grid[1].cells[1][0] == selectors.MemberRow(members[1].virtual_machine_id, "web2", "Running", 1, 1)


def test_outages_say_what_each_rack_failure_and_restart_leaves_running(web_set):
    member(web_set, 0, 0, "web1")
    member(web_set, 1, 1, "web2")
    member(web_set, 0, 2, "web3")
    web1, web2, web3 = "web1", "web2", "web3"
    outages = {
        outage.cause: (outage.down, outage.running)
        for outage in selectors.availability_set_outages(web_set, selectors.availability_set_members(web_set))
    }
    assert outages == {
        "A rack failure in fault domain 0": ((web1, web3), (web2,)),
        "A rack failure in fault domain 1": ((web2,), (web1, web3)),
        "Planned maintenance of update domain 0": ((web1,), (web2, web3)),
        "Planned maintenance of update domain 1": ((web2,), (web1, web3)),
        "Planned maintenance of update domain 2": ((web3,), (web1, web2)),
    }


def test_a_lone_member_goes_down_with_every_outage(web_set):
    member(web_set, 0, 0, "web1")
    outages = selectors.availability_set_outages(web_set, selectors.availability_set_members(web_set))
    assert [outage.cause for outage in outages] == [
        "A rack failure in fault domain 0",
        "Planned maintenance of update domain 0",
    ]
    assert all(outage.running == () for outage in outages)


@pytest.mark.parametrize(("count", "eligible"), [(0, False), (1, False), (2, True), (7, True)])
def test_health_needs_two_members_for_the_sla(web_set, count, eligible):
    for index in range(count):
        member(web_set, index % 2, index % 5, f"web{index}")
    health = selectors.availability_set_health(web_set, selectors.availability_set_members(web_set))
    assert (health.member_count, health.eligible_for_sla, health.balanced) == (count, eligible, True)


def test_health_reports_a_spread_out_of_compliance(web_set):
    for index in range(3):
        member(web_set, 0, 0, f"web{index}")
    assert not selectors.availability_set_health(web_set, selectors.availability_set_members(web_set)).balanced


def test_sets_of_a_cloud_service_prefetch_their_slots(web_set, django_assert_num_queries):
    member(web_set, 0, 0, "web1")
    member(web_set, 1, 1, "web2")
    factories.AvailabilitySetFactory(cloud_service=web_set.cloud_service, name="sqlset")
    with django_assert_num_queries(2):
        sets = list(selectors.availability_sets_of(web_set.cloud_service))
        counts = {s.name: selectors.availability_set_health(s, s.memberships.all()).member_count for s in sets}
    assert counts == {"webset": 2, "sqlset": 0}
