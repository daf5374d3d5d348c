"""Hot reads compiled once: the same rows as the ORM's own query, whatever the arguments."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from availability.models import Membership
from availability.selectors import (
    DASHBOARD_VALUES,
    _dashboard_values,
    _member_values,
    availability_set_members,
    availability_set_page,
    virtual_machine_dashboard,
)
from portal.sql import compiled_values
from tests import factories
from vms.models import VirtualMachine

pytestmark = pytest.mark.django_db


def rows(values) -> list[tuple]:
    return [tuple(row) for row in values]


def test_the_dashboard_read_matches_the_orm_for_every_vm_and_subscription():
    mine, theirs = factories.SubscriptionFactory(), factories.SubscriptionFactory()
    network = factories.VirtualNetworkFactory(subscription=mine)
    subnet = factories.SubnetFactory(virtual_network=network)
    vms = [
        factories.VirtualMachineFactory(cloud_service__subscription=mine),
        factories.VirtualMachineFactory(
            cloud_service__subscription=mine, cloud_service__virtual_network=network, subnet=subnet
        ),
        factories.VirtualMachineFactory(
            cloud_service__subscription=mine,
            cloud_service__affinity_group=factories.AffinityGroupFactory(subscription=mine),
        ),
        factories.VirtualMachineFactory(cloud_service__subscription=theirs),
    ]
    factories.MembershipFactory(virtual_machine=vms[0], fault_domain=1, update_domain=3)
    randomly = random.Random(7)
    for _ in range(30):
        subscription = randomly.choice([mine, theirs])
        pk = randomly.choice([vm.pk for vm in vms] + [10**6])
        orm = VirtualMachine.objects.filter(subscription=subscription, pk=pk).values_list(*DASHBOARD_VALUES)
        assert rows(_dashboard_values(subscription.pk, pk)) == rows(orm)


def test_the_dashboard_says_what_the_models_say():
    network = factories.VirtualNetworkFactory()
    vm = factories.VirtualMachineFactory(
        cloud_service__subscription=network.subscription,
        cloud_service__virtual_network=network,
        subnet=factories.SubnetFactory(virtual_network=network, name="Frontend"),
        status=VirtualMachine.Status.STARTING,
    )
    membership = factories.MembershipFactory(virtual_machine=vm, fault_domain=1, update_domain=2)
    shown = virtual_machine_dashboard(vm.subscription, vm.pk)
    assert (shown.pk, shown.name, shown.status_label, shown.is_busy) == (vm.pk, vm.name, vm.status_label, True)
    assert shown.os_family == vm.image_version.image.os_family
    glance = shown.glance
    assert glance.size == str(vm.size)
    assert glance.image == str(vm.image_version)
    assert glance.dns_name == vm.cloud_service.dns_name
    assert (glance.virtual_network, glance.subnet) == (network.name, "Frontend")
    assert (glance.availability_set_pk, glance.availability_set) == (
        membership.availability_set_id,
        membership.availability_set.name,
    )
    assert (glance.fault_domain, glance.update_domain) == (1, 2)


def test_another_subscriptions_vm_and_set_are_not_read():
    vm = factories.VirtualMachineFactory()
    membership = factories.MembershipFactory(virtual_machine=vm)
    other = factories.SubscriptionFactory()
    assert virtual_machine_dashboard(other, vm.pk) is None
    assert availability_set_page(other, membership.availability_set_id) is None
    owner = membership.availability_set.cloud_service.subscription
    assert availability_set_page(owner, membership.availability_set_id).name == membership.availability_set.name


def test_the_members_read_matches_the_orm():
    availability_set = factories.AvailabilitySetFactory()
    for index in range(6):
        factories.MembershipFactory(
            availability_set=availability_set,
            virtual_machine__cloud_service=availability_set.cloud_service,
            fault_domain=index % 2,
            update_domain=index % 5,
        )
    orm = (
        Membership.objects.filter(availability_set=availability_set)
        .order_by("fault_domain", "update_domain", "virtual_machine__name")
        .values_list(
            "pk", "virtual_machine_id", "fault_domain", "update_domain", "joined_at",
            "virtual_machine__name", "virtual_machine__status",
        )
    )  # fmt: skip
    assert rows(_member_values(availability_set.pk)) == rows(orm)


def test_a_builder_must_use_each_argument_as_a_parameter():
    @compiled_values
    def unused(pk: int):
        return VirtualMachine.objects.values_list("pk")

    with pytest.raises(ValueError, match="each of its arguments"):
        unused(1)


def test_a_builder_must_bind_every_argument_not_one_twice():
    """Counting slots is not enough: argument 0 bound twice and argument 1 never is refused."""

    @compiled_values
    def twice(subscription_id: int, pk: int):
        return VirtualMachine.objects.filter(
            subscription_id=subscription_id, cloud_service__subscription_id=subscription_id
        ).values_list("pk")

    with pytest.raises(ValueError, match=r"each of its arguments as a query parameter: \[1\]"):
        twice(1, 2)


def test_a_builder_must_bind_the_argument_itself():
    @compiled_values
    def shifted(pk: int):
        return VirtualMachine.objects.filter(pk=pk + 1).values_list("pk")

    with pytest.raises(ValueError, match="not the argument itself"):
        shifted(1)


def test_rows_come_back_converted_as_the_orm_gives_them():
    """A time is aware and a flag is a bool on every database, so no caller patches the types."""
    availability_set = factories.AvailabilitySetFactory()
    factories.MembershipFactory(
        availability_set=availability_set, virtual_machine__cloud_service=availability_set.cloud_service
    )
    member = availability_set_members(availability_set)[0]
    assert timezone.is_aware(member.joined_at)
    assert member.joined_at == Membership.objects.get().joined_at
    vm = factories.VirtualMachineFactory()
    (row,) = _dashboard_values(vm.subscription.pk, vm.pk)
    assert row[DASHBOARD_VALUES.index("size__shared_core")] is vm.size.shared_core  # a bool, not 0 or 1
