"""The database itself refuses what the portal's rules forbid, whatever path a write takes."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from availability.models import AvailabilitySet, FaultDomainRack, Membership
from fabric.models import Rack
from tests import factories
from vms.models import (
    AffinityGroup,
    ImageVersion,
    Operation,
    OperationDismissal,
    RoleSize,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)

pytestmark = pytest.mark.django_db


def refused(create) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def vm_in(service, name: str, **fields) -> VirtualMachine:
    return factories.VirtualMachineFactory.build(
        cloud_service=service,
        name=name,
        storage_account=factories.StorageAccountFactory(subscription=service.subscription, region=service.region),
        **fields,
    )


COVERED = {
    "affinity_group_name_unique_in_subscription",
    "virtual_network_name_unique_in_subscription",
    "subnet_name_unique_in_network",
    "image_version_unique_release_date",
    "role_size_at_least_one_core",
    "one_generated_storage_account_per_region",
    "storage_account_name_format",
    "cloud_service_name_format",
    "vm_name_unique_in_cloud_service",
    "vm_has_a_way_to_sign_in",
    "one_operation_in_progress_per_vm",
    "one_dismissal_per_operation_and_user",
    "availability_set_name_unique_in_cloud_service",
    "availability_set_fault_domain_count_range",
    "availability_set_update_domain_count_range",
    "membership_fault_domain_range",
    "membership_update_domain_range",
    "fault_domain_rack_unique_in_set",
    "fault_domain_rack_fault_domain_range",
}


def test_every_constraint_of_the_portal_is_covered_here():
    declared = {
        constraint.name
        for label in ("portal", "vms", "availability")
        for model in apps.get_app_config(label).get_models()
        for constraint in model._meta.constraints
    }
    assert declared == COVERED


class TestNames:
    def test_dns_name_is_unique_across_subscriptions(self):
        factories.CloudServiceFactory(name="contosoweb")
        refused(lambda: factories.CloudServiceFactory(name="contosoweb"))

    @pytest.mark.parametrize("name", ["ab", "Contoso", "contoso-web", "contoso.web"])
    def test_dns_name_format(self, name):
        refused(lambda: factories.CloudServiceFactory(name=name))

    def test_storage_account_name_is_unique_across_subscriptions(self):
        factories.StorageAccountFactory(name="contosostore")
        refused(lambda: factories.StorageAccountFactory(name="contosostore"))

    @pytest.mark.parametrize("name", ["ab", "Contosostore", "contoso_store"])
    def test_storage_account_name_format(self, name):
        refused(lambda: factories.StorageAccountFactory(name=name))

    def test_vm_name_is_unique_within_a_cloud_service_whatever_its_case(self):
        service = factories.CloudServiceFactory()
        factories.VirtualMachineFactory(cloud_service=service, name="web1")
        refused(lambda: vm_in(service, "WEB1").save())

    def test_vm_name_may_repeat_in_another_cloud_service(self):
        factories.VirtualMachineFactory(name="web1")
        factories.VirtualMachineFactory(name="web1")
        assert VirtualMachine.objects.filter(name="web1").count() == 2

    def test_set_name_is_unique_within_a_cloud_service_whatever_its_case(self):
        service = factories.CloudServiceFactory()
        factories.AvailabilitySetFactory(cloud_service=service, name="webset")
        refused(lambda: AvailabilitySet.objects.create(cloud_service=service, name="WebSet"))
        factories.AvailabilitySetFactory(name="webset")

    def test_affinity_group_name_is_unique_within_a_subscription(self):
        group = factories.AffinityGroupFactory(name="west")
        refused(lambda: AffinityGroup.objects.create(subscription=group.subscription, name="WEST", region=group.region))
        factories.AffinityGroupFactory(name="west")

    def test_virtual_network_name_is_unique_within_a_subscription(self):
        network = factories.VirtualNetworkFactory(name="net")
        refused(
            lambda: VirtualNetwork.objects.create(
                subscription=network.subscription, name="NET", affinity_group=network.affinity_group
            )
        )

    def test_subnet_name_is_unique_within_a_network(self):
        subnet = factories.SubnetFactory(name="FrontEnd")
        refused(
            lambda: Subnet.objects.create(
                virtual_network=subnet.virtual_network, name="FrontEnd", address_prefix="10.0.1.0/24"
            )
        )


class TestCatalogConstraints:
    def test_image_version_release_date_is_unique_per_image(self):
        version = factories.image_version()
        refused(lambda: ImageVersion.objects.create(image=version.image, release_date=version.release_date))

    def test_role_size_has_at_least_one_core(self):
        refused(lambda: RoleSize.objects.create(name="Tiny", cores=0, memory_mb=512, max_data_disks=1))


class TestStorageAndCredentials:
    def test_one_generated_storage_account_per_region(self):
        first = factories.StorageAccountFactory(automatically_generated=True)
        refused(lambda: factories.StorageAccountFactory(subscription=first.subscription, automatically_generated=True))

    def test_generated_accounts_in_other_regions_and_named_accounts_are_allowed(self):
        first = factories.StorageAccountFactory(automatically_generated=True)
        factories.StorageAccountFactory(
            subscription=first.subscription, region=factories.region("East US"), automatically_generated=True
        )
        factories.StorageAccountFactory(subscription=first.subscription)
        assert first.subscription.storage_accounts.count() == 3

    def test_vm_needs_a_password_or_an_ssh_key(self):
        service = factories.CloudServiceFactory()
        refused(lambda: vm_in(service, "web1", password_hash="", ssh_certificate_thumbprint="").save())
        vm_in(service, "web2", password_hash="", ssh_certificate_thumbprint="AB" * 20).save()


class TestDomains:
    @pytest.mark.parametrize("count", [0, 4])
    def test_fault_domain_count_range(self, count):
        refused(lambda: factories.AvailabilitySetFactory(fault_domain_count=count))

    @pytest.mark.parametrize("count", [0, 21])
    def test_update_domain_count_range(self, count):
        refused(lambda: factories.AvailabilitySetFactory(update_domain_count=count))

    def test_counts_at_the_platforms_limits_are_allowed(self):
        factories.AvailabilitySetFactory(fault_domain_count=3, update_domain_count=20)

    @pytest.mark.parametrize(("fault_domain", "update_domain"), [(3, 0), (0, 20)])
    def test_membership_domain_range(self, fault_domain, update_domain):
        refused(lambda: factories.MembershipFactory(fault_domain=fault_domain, update_domain=update_domain))

    def test_a_vm_belongs_to_one_set_at_most(self):
        membership = factories.MembershipFactory()
        other_set = factories.AvailabilitySetFactory(cloud_service=membership.availability_set.cloud_service)
        refused(
            lambda: Membership.objects.create(
                virtual_machine=membership.virtual_machine, availability_set=other_set, fault_domain=1, update_domain=1
            )
        )


class TestOperations:
    def test_one_operation_in_progress_per_vm(self):
        operation = factories.OperationFactory()
        refused(lambda: factories.OperationFactory(virtual_machine=operation.virtual_machine))

    def test_one_dismissal_per_operation_and_person(self):
        operation = factories.OperationFactory()
        user = factories.UserFactory()
        OperationDismissal.objects.create(operation=operation, user=user)
        refused(lambda: OperationDismissal.objects.create(operation=operation, user=user))
        OperationDismissal.objects.create(operation=operation, user=factories.UserFactory())

    def test_finished_operations_do_not_count(self):
        operation = factories.OperationFactory(status=Operation.Status.SUCCEEDED)
        factories.OperationFactory(virtual_machine=operation.virtual_machine, status=Operation.Status.FAILED)
        factories.OperationFactory(virtual_machine=operation.virtual_machine)
        assert operation.virtual_machine.operations.count() == 3


class TestFaultDomainRacks:
    def test_a_fault_domain_of_a_set_is_bound_to_one_rack(self):
        availability_set = factories.AvailabilitySetFactory()
        racks = list(Rack.objects.filter(region=availability_set.cloud_service.region)[:2])
        FaultDomainRack.objects.create(availability_set=availability_set, fault_domain=0, rack=racks[0])
        refused(
            lambda: FaultDomainRack.objects.create(availability_set=availability_set, fault_domain=0, rack=racks[1])
        )

    @pytest.mark.parametrize("fault_domain", [-1, 3])
    def test_the_fault_domain_is_one_the_platform_has(self, fault_domain):
        availability_set = factories.AvailabilitySetFactory()
        rack = Rack.objects.filter(region=availability_set.cloud_service.region).first()
        refused(
            lambda: FaultDomainRack.objects.create(
                availability_set=availability_set, fault_domain=fault_domain, rack=rack
            )
        )
