"""Writes of the application pages that the views' tests do not reach on their own."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from applications.models import Drill, Role
from applications.services import drill_start, role_retarget_to_set
from tests import factories
from tests.helpers.applications import web_shop
from vms.models import VirtualMachine

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(subscription):
    return web_shop(subscription)


def join_set(vm: VirtualMachine, name: str = "SQLSet"):
    return factories.MembershipFactory(
        virtual_machine=vm, availability_set__name=name, availability_set__cloud_service=vm.cloud_service
    ).availability_set


class TestRoleRetargetToSet:
    def test_the_role_of_a_vm_in_a_set_becomes_that_set(self, shop):
        data = shop.roles.get(name="Data")
        sql_set = join_set(data.virtual_machine)
        role = role_retarget_to_set(role=data)
        data.refresh_from_db()
        assert role.pk == data.pk and data.name == "Data"
        assert data.availability_set == sql_set and data.virtual_machine is None
        assert shop.roles.get(name="Web").dependencies.get().depends_on == data  # its dependencies stay

    def test_a_vm_in_no_set_is_refused(self, shop):
        data = shop.roles.get(name="Data")
        with pytest.raises(ValidationError) as error:
            role_retarget_to_set(role=data)
        assert error.value.messages == ["SQL1 is in no availability set."]

    def test_a_set_that_another_role_covers_is_refused(self, shop):
        data = shop.roles.get(name="Data")
        sql_set = join_set(data.virtual_machine)
        sql2 = factories.MembershipFactory(availability_set=sql_set, fault_domain=1, update_domain=1).virtual_machine
        Role.objects.create(application=shop, name="Cache", virtual_machine=sql2)  # made before SQL2 joined
        with pytest.raises(ValidationError) as error:
            role_retarget_to_set(role=data)
        assert error.value.messages == [f"{sql2.name}, a member of SQLSet, is already the Cache role."]
        data.refresh_from_db()
        assert data.availability_set is None

    def test_refused_while_a_drill_runs(self, shop):
        data = shop.roles.get(name="Data")
        join_set(data.virtual_machine)
        drill_start(application=shop, kind=Drill.Kind.WALK)  # no worker here: it stays running
        with pytest.raises(ValidationError):
            role_retarget_to_set(role=data)
        data.refresh_from_db()
        assert data.availability_set is None
