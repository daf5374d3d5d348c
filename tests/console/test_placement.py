"""The deploy places each new VM on a host of its region; Configure's resize must fit the VM's host."""

from __future__ import annotations

import ipaddress

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from availability.models import FaultDomainRack, Membership
from console.services import virtual_machine_configure, virtual_machine_deploy
from fabric.models import Host, Placement, Rack
from fabric.passwords import sha512_crypt
from tests import factories
from tests.factories import STRONG_PASSWORD
from tests.helpers.quick_create import quick_create_data
from tests.helpers.wizard import configuration, run
from vms.models import Operation, Region, VirtualMachine
from vms.operations import operation_complete
from vms.services.machines import vm_delete

pytestmark = pytest.mark.django_db

NO_ROOM_FOR_MEDIUM = "No rack in West US has a host with 2 free cores for a Medium virtual machine"


def deploy(user, subscription, **overrides) -> VirtualMachine:
    arguments = {
        "user": user,
        "subscription": subscription,
        "image_version": factories.image_version(),
        "name": "web1",
        "admin_username": "portaladmin",
        "admin_password": STRONG_PASSWORD,
        "size": factories.size(),
        "dns_name": "contosoweb",
        "region": factories.region(),
    } | overrides
    return virtual_machine_deploy(**arguments).virtual_machine


def settle() -> None:
    """End the deploys' operations as the worker would, so that the VMs take commands again."""
    Operation.objects.update(status=Operation.Status.SUCCEEDED)
    VirtualMachine.objects.update(status=VirtualMachine.Status.RUNNING)


def west_hosts():
    return Host.objects.filter(rack__region__name="West US")


def one_core_hosts() -> None:
    """Leave every host of West US one core, so that a Small VM fits and a Medium one does not."""
    west_hosts().update(cores=1)


class TestDeployPlaces:
    def test_a_new_vm_gets_a_host_a_domain_a_mac_and_the_first_address_after_the_gateway(self, user, subscription):
        vm = deploy(user, subscription)
        placement = Placement.objects.select_related("host__rack").get(virtual_machine=vm)
        assert placement.host.rack.region.name == "West US"
        assert placement.domain_name == f"vm-{vm.pk}"
        assert placement.mac_address.startswith("52:54:00:")
        network = ipaddress.IPv4Network(placement.host.subnet)
        assert ipaddress.IPv4Address(placement.address) == network.network_address + 2

    def test_vms_on_one_host_get_distinct_addresses_and_macs(self, user, subscription):
        Host.objects.exclude(pk=west_hosts().order_by("pk").first().pk).update(state=Host.State.MAINTENANCE)
        vms = [deploy(user, subscription, name=f"web{n}", dns_name=f"contoso{n}") for n in range(3)]
        placements = Placement.objects.filter(virtual_machine__in=vms)
        assert len({placement.host_id for placement in placements}) == 1
        assert len({placement.address for placement in placements}) == 3
        assert len({placement.mac_address for placement in placements}) == 3

    def test_a_full_region_refuses_beside_the_size_and_creates_nothing(self, user, subscription):
        one_core_hosts()
        with pytest.raises(ValidationError) as refused:
            deploy(user, subscription, size=factories.size("Medium"))
        assert refused.value.error_dict["size"][0].code == "no_room"
        assert refused.value.message_dict == {"size": [NO_ROOM_FOR_MEDIUM]}
        assert not VirtualMachine.objects.exists() and not Placement.objects.exists()

    def test_a_region_with_no_hosts_refuses_with_a_clear_message(self, user, subscription):
        Placement.objects.all().delete()
        Host.objects.filter(rack__region__name="East US").delete()
        Rack.objects.filter(region__name="East US").delete()
        with pytest.raises(ValidationError) as refused:
            deploy(user, subscription, region=Region.objects.get(name="East US"))
        assert refused.value.message_dict == {"size": ["East US has no hosts to run virtual machines on."]}

    def test_a_deleted_vm_frees_its_hosts_cores(self, user, subscription):
        one_core_hosts()
        vms = [deploy(user, subscription, name=f"web{n}", dns_name=f"contoso{n}") for n in range(4)]
        with pytest.raises(ValidationError):
            deploy(user, subscription, name="web9", dns_name="contoso9")
        settle()
        operation = vm_delete(vm=vms[0], user=user)
        operation_complete(operation_id=operation.pk, attempt=operation.attempts)
        assert not Placement.objects.filter(virtual_machine_id=vms[0].pk).exists()
        assert deploy(user, subscription, name="web9", dns_name="contoso9").placement

    def test_the_guest_gets_the_password_as_a_crypt_hash_and_never_the_password(self, user, subscription):
        vm = deploy(user, subscription)
        vm.refresh_from_db()
        _, kind, salt, _hash = vm.password_crypt.split("$")
        assert kind == "6" and vm.password_crypt == sha512_crypt(STRONG_PASSWORD, salt)
        assert STRONG_PASSWORD not in vm.password_crypt + vm.password_hash

    def test_ssh_only_has_no_crypt_hash(self, user, subscription):
        vm = deploy(
            user,
            subscription,
            image_version=factories.image_version("Ubuntu Server 12.04 LTS"),
            admin_password="",
            ssh_certificate=factories.certificate_pem(),
        )
        assert vm.password_crypt == ""


class TestSetsAndRacks:
    def test_a_sets_fault_domains_go_to_different_racks_and_are_bound(self, user, subscription):
        first = deploy(user, subscription, availability_set_name="webset")
        the_set = first.membership.availability_set
        second = deploy(user, subscription, name="web2", dns_name="", region=None, cloud_service=first.cloud_service,
                        availability_set=the_set)  # fmt: skip
        racks = {vm.membership.fault_domain: vm.placement.host.rack_id for vm in (first, second)}
        assert racks[0] != racks[1]
        assert dict(FaultDomainRack.objects.values_list("fault_domain", "rack_id")) == racks

    def test_a_third_member_goes_to_its_fault_domains_rack(self, user, subscription):
        first = deploy(user, subscription, availability_set_name="webset")
        the_set = first.membership.availability_set
        service = first.cloud_service
        for name in ("web2", "web3"):
            deploy(user, subscription, name=name, dns_name="", region=None, cloud_service=service,
                   availability_set=the_set)  # fmt: skip
        third = VirtualMachine.objects.get(name="web3")
        assert third.membership.fault_domain == 0
        assert third.placement.host.rack_id == first.placement.host.rack_id
        assert third.placement.host_id != first.placement.host_id, "another update domain, another host"

    def test_a_vm_joining_a_set_later_keeps_its_host_and_binds_its_fault_domain(self, user, subscription):
        vm = deploy(user, subscription)
        host = vm.placement.host_id
        settle()
        virtual_machine_configure(vm=vm, user=user, size=vm.size, availability_set_name="later")
        vm.refresh_from_db()
        assert vm.placement.host_id == host
        assert FaultDomainRack.objects.get().rack_id == vm.placement.host.rack_id

    def test_the_last_member_leaving_drops_the_sets_bindings(self, user, subscription):
        vm = deploy(user, subscription, availability_set_name="webset")
        settle()
        assert FaultDomainRack.objects.exists()
        virtual_machine_configure(vm=vm, user=user, size=vm.size, availability_set=None)
        assert not Membership.objects.exists() and not FaultDomainRack.objects.exists()


class TestResize:
    def test_a_size_the_host_has_no_room_for_is_refused_beside_the_size(self, user, subscription):
        one_core_hosts()
        vm = deploy(user, subscription)
        settle()
        with pytest.raises(ValidationError) as refused:
            virtual_machine_configure(vm=vm, user=user, size=factories.size("Medium"))
        host = vm.placement.host
        assert refused.value.message_dict == {
            "size": [
                f"Host {host.name} in rack {host.rack.name} of West US has 1 free core for this virtual machine; "
                "a Medium virtual machine needs 2"
            ]
        }
        vm.refresh_from_db()
        assert vm.size.name == "Small"

    def test_a_size_that_fits_is_saved(self, user, subscription):
        vm = deploy(user, subscription)
        settle()
        assert virtual_machine_configure(vm=vm, user=user, size=factories.size("Medium"))
        vm.refresh_from_db()
        assert vm.size.name == "Medium"

    def test_a_vm_without_a_placement_resizes_as_before(self, user, subscription):
        vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
        assert virtual_machine_configure(vm=vm, user=user, size=factories.size("Medium"))


class TestNoRoomBesideTheSize:
    def test_quick_create(self, signed_in):
        one_core_hosts()
        data = quick_create_data(size=factories.size("Medium").pk)
        html = signed_in.post(
            reverse("vms:quick-create"), {**data, "part": "form"}, HTTP_HX_REQUEST="true"
        ).content.decode()
        assert f'id="id_size_error">{NO_ROOM_FOR_MEDIUM}' in html
        assert not VirtualMachine.objects.exists()

    def test_the_wizards_configuration_page(self, signed_in):
        one_core_hosts()
        html = run(signed_in, config=configuration(size=factories.size("Medium").pk)).content.decode()
        assert "Virtual machine configuration" in html
        assert 'id="id_configuration-size_error"' in html and NO_ROOM_FOR_MEDIUM in html
        assert not VirtualMachine.objects.exists()

    def test_configure_page(self, signed_in, user, subscription):
        one_core_hosts()
        vm = deploy(user, subscription)
        settle()
        data = {"size": factories.size("Medium").pk, "availability_set": "none", "availability_set_name": ""}
        response = signed_in.post(reverse("vms:configure", args=[vm.pk]), data)
        html = response.content.decode()
        assert 'id="id_size_error"' in html and "has 1 free core for this virtual machine" in html


class TestDashboard:
    @pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
    def test_everyone_sees_the_internal_address_and_only_staff_the_host_and_rack(
        self, signed_in, user, subscription, htmx
    ):
        vm = deploy(user, subscription)
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        url = reverse("vms:dashboard", args=[vm.pk])
        html = signed_in.get(url, **headers).content.decode()
        assert ("<html" in html) is not htmx
        assert vm.placement.address in html
        assert vm.placement.host.name not in html and "simulated" not in html
        user.is_staff = True
        user.save()
        html = signed_in.get(url, **headers).content.decode()
        assert f"{vm.placement.host.name} in rack {vm.placement.host.rack.name}" in html

    def test_a_vm_without_a_placement_shows_no_address_or_host(self, signed_in, user, subscription):
        vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
        user.is_staff = True
        user.save()
        html = signed_in.get(reverse("vms:dashboard", args=[vm.pk])).content.decode()
        assert "Not assigned yet" in html and ">Host</dt>" not in html
