"""Deploying VMs into sets and configuring membership, through the services every entry point calls."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from availability.models import AvailabilitySet, Membership
from console import services as console_services
from console.services import virtual_machine_configure
from tests import factories
from vms.models import CloudService, Operation, StorageAccount, VirtualMachine

pytestmark = pytest.mark.django_db


def test_step_1_creates_cloud_service_storage_set_and_vm_that_reaches_running(
    user, subscription, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        operation = factories.deploy(user, subscription, availability_set_name="webset")
    vm = VirtualMachine.objects.get(pk=operation.virtual_machine_id)
    assert vm.status == VirtualMachine.Status.RUNNING
    assert vm.cloud_service.name == "contosoweb"
    assert vm.storage_account.automatically_generated
    assert vm.membership.availability_set.name == "webset"
    assert (vm.membership.fault_domain, vm.membership.update_domain) == (0, 0)
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED


def test_step_2_connects_to_the_cloud_service_and_spreads_across_domains(user, subscription):
    first = factories.deploy(user, subscription, availability_set_name="webset").virtual_machine
    web_set = AvailabilitySet.objects.get(name="webset")
    second = factories.deploy(
        user,
        subscription,
        name="web2",
        dns_name="",
        region=None,
        cloud_service=first.cloud_service,
        availability_set=web_set,
    ).virtual_machine
    assert second.cloud_service == first.cloud_service
    assert (second.membership.fault_domain, second.membership.update_domain) == (1, 1)
    assert StorageAccount.objects.filter(automatically_generated=True).count() == 1


def test_a_taken_dns_name_is_refused_beside_the_field_and_nothing_is_written(user, subscription):
    factories.deploy(user, subscription)
    with pytest.raises(ValidationError) as raised:
        factories.deploy(user, subscription, name="other", availability_set_name="s")
    assert "dns_name" in raised.value.message_dict
    assert CloudService.objects.count() == 1
    assert AvailabilitySet.objects.count() == 0


def test_core_quota_is_enforced_on_the_size_field(user, subscription):
    subscription.core_quota = 3
    subscription.save()
    factories.deploy(user, subscription, size=factories.size("Medium"))
    with pytest.raises(ValidationError) as raised:
        factories.deploy(user, subscription, name="big", dns_name="contosobig", size=factories.size("Medium"))
    assert "size" in raised.value.message_dict
    assert not CloudService.objects.filter(name="contosobig").exists()


def test_configure_creates_a_set_restarts_and_refuses_a_second_change_meanwhile(user, subscription):
    vm = factories.deploy(user, subscription).virtual_machine
    Operation.objects.update(status=Operation.Status.SUCCEEDED)
    VirtualMachine.objects.update(status=VirtualMachine.Status.RUNNING)
    operation = virtual_machine_configure(vm=vm, user=user, size=vm.size, availability_set_name="newset")
    vm.refresh_from_db()
    assert vm.status == VirtualMachine.Status.RESTARTING
    assert vm.membership.availability_set.name == "newset"
    with pytest.raises(ValidationError) as raised:
        virtual_machine_configure(vm=vm, user=user, size=factories.size("Medium"))
    assert raised.value.code == "busy"
    assert operation.kind == Operation.Kind.CONFIGURE
    assert Membership.objects.count() == 1


def test_configure_leaving_a_set_restarts_the_vm_through_the_worker(
    user, subscription, django_capture_on_commit_callbacks
):
    membership = factories.MembershipFactory(
        availability_set__cloud_service__subscription=subscription, virtual_machine__name="web1"
    )
    vm = membership.virtual_machine

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        operation = virtual_machine_configure(vm=vm, user=user, size=vm.size, availability_set=None)
        vm.refresh_from_db()
        assert vm.status == VirtualMachine.Status.RESTARTING

    assert isinstance(operation, Operation)
    assert len(callbacks) == 1
    assert operation.kind == Operation.Kind.CONFIGURE
    assert operation.title == "Configuring virtual machine web1"
    assert operation.details == {"changes": ["no availability set"]}
    assert operation.virtual_machine == vm
    assert operation.requested_by == user
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED
    vm.refresh_from_db()
    assert vm.status == VirtualMachine.Status.RUNNING
    assert not Membership.objects.exists()


def test_a_deploy_whose_last_step_fails_leaves_nothing_behind(user, subscription, monkeypatch):
    """The cloud service, generated storage account, VM, set and membership exist when the operation is recorded."""
    made = {}

    def fabric_unreachable(*, vm, **kwargs):
        made.update(
            cloud_services=CloudService.objects.count(),
            storage_accounts=StorageAccount.objects.count(),
            vms=VirtualMachine.objects.count(),
            sets=AvailabilitySet.objects.count(),
            memberships=Membership.objects.count(),
        )
        raise RuntimeError("the fabric is unreachable")

    monkeypatch.setattr(console_services, "operation_begin", fabric_unreachable)

    with pytest.raises(RuntimeError):
        factories.deploy(user, subscription, availability_set_name="webset")

    assert made == {"cloud_services": 1, "storage_accounts": 1, "vms": 1, "sets": 1, "memberships": 1}
    assert not CloudService.objects.exists()
    assert not StorageAccount.objects.exists()
    assert not VirtualMachine.objects.exists()
    assert not AvailabilitySet.objects.exists()
    assert not Membership.objects.exists()
    assert not Operation.objects.exists()


def test_a_windows_vm_is_refused_an_ssh_certificate_beside_its_field_and_nothing_is_written(user, subscription):
    """An SSH certificate is for Linux images: the deploy refuses one for Windows, for the wizard and the APIs alike."""
    with pytest.raises(ValidationError) as raised:
        factories.deploy(user, subscription, ssh_certificate=factories.certificate_pem())
    [error] = raised.value.error_dict["ssh_certificate"]
    assert error.message == "An SSH certificate is for Linux images; a Windows VM signs in with its password."
    assert error.code == "invalid"
    assert not VirtualMachine.objects.exists() and not CloudService.objects.exists()
