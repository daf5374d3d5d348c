"""The Hosts page: staff only, every rack with its hosts' load and VMs, in the same queries however many there are."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fabric.models import Host, Rack
from fabric.services import placement_create, topology_simulated_create
from tests import factories
from vms.models import Region

pytestmark = pytest.mark.django_db

URL = reverse("fabric:hosts")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "fragment"])
def test_a_person_who_is_not_staff_finds_no_page_and_no_navigation_entry(signed_in, headers):
    assert signed_in.get(URL, **headers).status_code == 404
    assert URL not in signed_in.get(reverse("vms:list")).content.decode()


def test_staff_find_it_in_the_navigation(staff):
    assert f'href="{URL}"' in staff.get(reverse("vms:list")).content.decode()


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_each_rack_shows_its_hosts_state_uri_load_and_vms(staff, subscription, htmx):
    host = Host.objects.get(name="west-us-r1-h1")
    host.uri = "qemu+ssh://root@host1/system"
    host.state = Host.State.MAINTENANCE
    host.save()
    vm = factories.VirtualMachineFactory(
        cloud_service__subscription=subscription, name="web1", size=factories.size("Medium")
    )
    placement_create(vm=vm, host_id=host.pk, subnet=host.subnet)
    html = staff.get(URL, **(HTMX if htmx else {})).content.decode()
    assert ("<html" in html) is not htmx
    assert "Rack r1 of West US" in html and "Rack r2 of East US" in html
    row = html[html.index(">west-us-r1-h1<") : html.index(">west-us-r1-h2<")]
    assert "Maintenance" in row and "qemu+ssh://root@host1/system" in row
    assert f"2 of {host.cores}" in row and f"3584 MB of {host.memory_mb} MB" in row
    assert f'<a href="{reverse("vms:dashboard", args=[vm.pk])}">web1</a>' in row


def test_a_deleted_vm_no_longer_loads_its_host(staff, subscription):
    host = Host.objects.get(name="west-us-r1-h1")
    vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription, name="web1")
    placement_create(vm=vm, host_id=host.pk, subnet=host.subnet)
    vm.delete()
    html = staff.get(URL).content.decode()
    row = html[html.index(">west-us-r1-h1<") : html.index(">west-us-r1-h2<")]
    assert f"0 of {host.cores}" in row and "web1" not in row


@pytest.mark.parametrize("hosts_per_rack", [2, 12])
def test_runs_the_same_queries_with_few_and_many_hosts_and_vms(
    staff, subscription, hosts_per_rack, django_assert_num_queries
):
    region = Region.objects.get(name="West US")
    hosts = topology_simulated_create(region=region, hosts_per_rack=hosts_per_rack)
    service = factories.CloudServiceFactory(subscription=subscription)
    for number, host in enumerate(hosts):
        vm = factories.VirtualMachineFactory(cloud_service=service, subscription=subscription, name=f"vm{number}")
        placement_create(vm=vm, host_id=host.pk, subnet=host.subnet)
    assert Rack.objects.count() > 2
    # The shell's three (session, person, subscription), then the racks, the VMs by host, and the hosts with their
    # use in one aggregate.
    with django_assert_num_queries(6):
        assert staff.get(URL).status_code == 200
