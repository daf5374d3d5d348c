"""Connect and the commands of a VM selected in the list."""

from __future__ import annotations

import pytest
from django.urls import reverse

from balancer.models import LoadBalancer, PublicAddress
from endpoints.services import endpoint_create
from tests import factories
from vms.models import Image, VirtualMachine
from vms.selectors import vm_remote_access

pytestmark = pytest.mark.django_db


def running_vm(subscription, image_name: str = "Windows Server 2012 Datacenter", **fields) -> VirtualMachine:
    version = Image.objects.get(name=image_name).versions.first()
    return factories.VirtualMachineFactory(
        cloud_service__subscription=subscription,
        cloud_service__name="contosoweb",
        image_version=version,
        status=VirtualMachine.Status.RUNNING,
        admin_username="contosoadmin",
        **fields,
    )


class TestRemoteAccess:
    def test_windows_is_remote_desktop_on_the_cloud_services_name(self, subscription):
        access = vm_remote_access(running_vm(subscription))
        assert (access.protocol, access.host, access.port) == ("rdp", "contosoweb.cloudapp.net", 3389)

    def test_linux_is_ssh(self, subscription):
        access = vm_remote_access(running_vm(subscription, "Ubuntu Server 12.04 LTS"))
        assert (access.protocol, access.host, access.port, access.username) == (
            "ssh",
            "contosoweb.cloudapp.net",
            22,
            "contosoadmin",
        )


class TestConnect:
    def test_windows_downloads_a_remote_desktop_file(self, signed_in, subscription):
        vm = running_vm(subscription, name="IIS1")
        response = signed_in.get(reverse("vms:connect", args=[vm.pk]))
        assert response["Content-Type"] == "application/x-rdp"
        assert response["Content-Disposition"] == 'attachment; filename="IIS1.rdp"'
        body = response.content.decode()
        assert "full address:s:contosoweb.cloudapp.net:3389\r\n" in body and "username:s:contosoadmin\r\n" in body

    def test_linux_shows_the_ssh_command_in_a_dialog(self, signed_in, subscription):
        vm = running_vm(subscription, "Ubuntu Server 12.04 LTS", name="web1")
        response = signed_in.get(reverse("vms:connect", args=[vm.pk]), HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert "<html" not in html and html.strip().startswith('<dialog class="portal-modal"')
        assert 'value="ssh -p 22 contosoadmin@contosoweb.cloudapp.net"' in html

    def test_linux_without_htmx_is_a_page(self, signed_in, subscription):
        vm = running_vm(subscription, "Ubuntu Server 12.04 LTS", name="web1")
        html = signed_in.get(reverse("vms:connect", args=[vm.pk])).content.decode()
        assert "<html" in html and "<h1>Connect to web1</h1>" in html and "ssh -p 22" in html

    def test_another_subscriptions_vm_cannot_be_reached(self, signed_in):
        vm = factories.VirtualMachineFactory(status=VirtualMachine.Status.RUNNING)
        assert signed_in.get(reverse("vms:connect", args=[vm.pk])).status_code == 404

    def test_the_dashboard_offers_connect_only_while_running(self, signed_in, subscription):
        vm = running_vm(subscription)
        html = signed_in.get(reverse("vms:dashboard", args=[vm.pk])).content.decode()
        assert f'href="{reverse("vms:connect", args=[vm.pk])}" download=' in html
        VirtualMachine.objects.filter(pk=vm.pk).update(status=VirtualMachine.Status.STOPPED)
        html = signed_in.get(reverse("vms:dashboard", args=[vm.pk])).content.decode()
        assert reverse("vms:connect", args=[vm.pk]) not in html


class TestSelection:
    def test_each_vm_row_selects_it_for_the_command_bar(self, signed_in, subscription):
        vm = running_vm(subscription, name="IIS1")
        html = signed_in.get(reverse("vms:list")).content.decode()
        assert 'aria-label="Select IIS1"' in html
        assert f'hx-get="{reverse("vms:selection-commands", args=[vm.pk])}" hx-trigger="change"' in html

    def test_the_selected_vms_commands_are_a_fragment(self, signed_in, subscription, django_assert_max_num_queries):
        vm = running_vm(subscription, name="IIS1")
        with django_assert_max_num_queries(6):
            response = signed_in.get(reverse("vms:selection-commands", args=[vm.pk]), HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert "<html" not in html
        for label in ("Connect", "Start", "Shut Down", "Restart", "Delete"):
            assert f"</i> {label}" in html
        assert f'hx-push-url="{reverse("vms:dashboard", args=[vm.pk])}"' in html
        start = html[html.index(reverse("vms:command", args=[vm.pk, "start"])) :]
        assert "disabled" in start[: start.index("</form>")]

    def test_without_htmx_the_selection_leads_to_the_dashboard(self, signed_in, subscription):
        vm = running_vm(subscription)
        response = signed_in.get(reverse("vms:selection-commands", args=[vm.pk]))
        assert response.status_code == 302 and response["Location"] == reverse("vms:dashboard", args=[vm.pk])

    def test_a_selected_set_offers_delete(self, signed_in, subscription):
        availability_set = factories.AvailabilitySetFactory(cloud_service__subscription=subscription)
        listing = signed_in.get(reverse("availability:list", args=[availability_set.cloud_service_id]))
        assert f'aria-label="Select {availability_set.name}"' in listing.content.decode()
        url = reverse("availability:commands", args=[availability_set.pk])
        html = signed_in.get(url, HTTP_HX_REQUEST="true").content.decode()
        assert "<html" not in html and f'hx-post="{reverse("availability:delete", args=[availability_set.pk])}"' in html
        response = signed_in.get(url)
        assert response.status_code == 302 and response["Location"] == reverse(
            "availability:detail", args=[availability_set.pk]
        )


class TestConnectFollowsTheEndpoint:
    """Connect names the public port the VM's endpoint to SSH or Remote Desktop has, which a second VM of a cloud
    service gets at random, and the address a client uses when the region's load balancer carries the service."""

    def test_a_second_linux_vm_is_reached_on_its_own_public_port(self, signed_in, subscription):
        first = running_vm(subscription, "Ubuntu Server 12.04 LTS", name="web1")
        endpoint_create(vm=first, name="SSH", protocol="tcp", public_port=22, private_port=22)
        second = running_vm(subscription, "Ubuntu Server 12.04 LTS", name="web2", cloud_service=first.cloud_service)
        endpoint_create(vm=second, name="SSH", protocol="tcp", public_port=50022, private_port=22)
        endpoint_create(vm=second, name="Other", protocol="udp", public_port=50023, private_port=22)

        html = signed_in.get(reverse("vms:connect", args=[second.pk])).content.decode()

        assert 'value="ssh -p 50022 contosoadmin@contosoweb.cloudapp.net"' in html

    def test_a_windows_vm_behind_a_load_balancer_gets_its_public_address(self, signed_in, subscription, tmp_path):
        vm = running_vm(subscription, name="IIS1")
        endpoint_create(vm=vm, name="RemoteDesktop", protocol="tcp", public_port=51234, private_port=3389)
        LoadBalancer.objects.create(
            region=vm.cloud_service.region,
            public_addresses="10.254.250.0/24",
            config_path=str(tmp_path / "haproxy.cfg"),
            runtime_socket=str(tmp_path / "runtime.sock"),
            master_socket=str(tmp_path / "master.sock"),
        )
        PublicAddress.objects.create(
            load_balancer=LoadBalancer.objects.get(), cloud_service=vm.cloud_service, address="10.254.250.7"
        )

        body = signed_in.get(reverse("vms:connect", args=[vm.pk])).content.decode()

        assert "full address:s:10.254.250.7:51234\r\n" in body
