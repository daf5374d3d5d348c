"""The list pages, their create forms, the notification area and the activity log."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from availability.models import AvailabilitySet, Membership
from portal.periodic import periodic_jobs
from tests import factories
from vms.models import (
    AffinityGroup,
    CloudService,
    Operation,
    OperationDismissal,
    StorageAccount,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)
from vms.operations import operation_complete
from vms.periodic import recover_stale_operations
from vms.selectors import notifications_for, notifications_query
from vms.services.machines import vm_restart
from vms.services.operations import operations_recover_stale
from vms.services.usage import subscription_usage_recount

pytestmark = pytest.mark.django_db


LIST_PAGES = ["vms:list", "vms:cloud-services", "vms:storage", "vms:networks", "vms:activity"]


def column_headers(html: str) -> list[str]:
    """The table's column titles, sortable (a link inside the header) or not."""
    headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', html, re.S)
    return [re.sub(r"<[^>]+>", "", header).strip() for header in headers if "visually-hidden" not in header]


def build_rows(subscription, start: int, stop: int) -> None:
    """Give the subscription rows numbered start..stop-1 of everything the list pages show, with bulk inserts."""
    region = factories.region()
    numbers = range(start, stop)
    groups = AffinityGroup.objects.bulk_create(
        AffinityGroup(subscription=subscription, name=f"group{i}", region=region) for i in numbers
    )
    services = CloudService.objects.bulk_create(
        CloudService(
            subscription=subscription, name=f"service{i:04d}", region=region, affinity_group=group if i % 2 else None
        )
        for i, group in zip(numbers, groups, strict=True)
    )
    accounts = StorageAccount.objects.bulk_create(
        StorageAccount(subscription=subscription, name=f"storage{i:04d}", region=region) for i in numbers
    )
    password_hash = make_password(factories.STRONG_PASSWORD)
    vms = VirtualMachine.objects.bulk_create(
        VirtualMachine(
            cloud_service=service,
            subscription=subscription,
            name=f"vm{i}",
            image_version=factories.image_version(),
            size=factories.size(),
            storage_account=account,
            admin_username="portaladmin",
            password_hash=password_hash,
            status=VirtualMachine.Status.RUNNING,
        )
        for i, service, account in zip(numbers, services, accounts, strict=True)
    )
    sets = AvailabilitySet.objects.bulk_create(
        AvailabilitySet(cloud_service=service, name=f"set{i}") for i, service in zip(numbers, services, strict=True)
    )
    Membership.objects.bulk_create(
        Membership(virtual_machine=vm, availability_set=availability_set, fault_domain=0, update_domain=0)
        for vm, availability_set in zip(vms, sets, strict=True)
    )
    networks = VirtualNetwork.objects.bulk_create(
        VirtualNetwork(subscription=subscription, name=f"vnet{i}", affinity_group=group)
        for i, group in zip(numbers, groups, strict=True)
    )
    Subnet.objects.bulk_create(
        Subnet(virtual_network=network, name="Subnet-1", address_prefix="10.0.0.0/24") for network in networks
    )
    now = timezone.now()
    Operation.objects.bulk_create(
        Operation(
            subscription=subscription,
            kind=Operation.Kind.RESTART,
            virtual_machine=vm,
            target_name=vm.name,
            title=f"Restarting virtual machine {vm.name}",
            status=Operation.Status.SUCCEEDED,
            ended_at=now,
        )
        for vm in vms
    )
    subscription_usage_recount(subscription=subscription)


def count_queries(client, url: str, **headers) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, **headers)
    assert response.status_code == 200
    return len(context.captured_queries)


class TestQueryCounts:
    @pytest.mark.parametrize("name", [*LIST_PAGES, "vms:notifications"])
    def test_query_count_is_the_same_with_3_rows_and_with_300(self, name, signed_in, subscription, settings):
        settings.PAGE_SIZE = 1000
        url = reverse(name)
        build_rows(subscription, 0, 3)
        few = count_queries(signed_in, url)
        few_fragment = count_queries(signed_in, url, HTTP_HX_REQUEST="true")
        build_rows(subscription, 3, 300)
        response = signed_in.get(url)
        if name in {"vms:list", "vms:cloud-services", "vms:storage", "vms:activity"}:
            html = response.content.decode()
            assert html.count("<tr>") + html.count("<tr data-select>") == 301
        assert count_queries(signed_in, url) == few
        assert count_queries(signed_in, url, HTTP_HX_REQUEST="true") == few_fragment

    # Full page and htmx fragment: session, user, the person's subscriptions (the current one is among them, and a
    # full page's shell lists them), then the page's own reads: one list each; Networks lists affinity groups,
    # virtual networks and their subnets; the notification area reads its items in one query. None runs more than 10.
    PINNED = {
        "vms:list": (4, 4),
        "vms:cloud-services": (4, 4),
        "vms:storage": (4, 4),
        "vms:networks": (6, 6),
        "vms:activity": (4, 4),
        "vms:notifications": (4, 4),
    }

    @pytest.mark.parametrize("rows", [3, 60])
    @pytest.mark.parametrize("name", [*LIST_PAGES, "vms:notifications"])
    def test_each_page_runs_its_pinned_number_of_queries(self, name, rows, signed_in, subscription):
        build_rows(subscription, 0, rows)
        url = reverse(name)
        counts = (count_queries(signed_in, url), count_queries(signed_in, url, HTTP_HX_REQUEST="true"))
        assert counts == self.PINNED[name]
        assert max(counts) <= 10


class TestShellOfListPages:
    @pytest.mark.parametrize(
        ("name", "heading", "section"),
        [
            ("vms:list", "Virtual Machines", "vms"),
            ("vms:cloud-services", "Cloud Services", "cloud-services"),
            ("vms:storage", "Storage", "storage"),
            ("vms:networks", "Networks", "networks"),
        ],
    )
    def test_full_page_has_heading_and_marks_its_navigation_section(self, name, heading, section, signed_in):
        response = signed_in.get(reverse(name))
        html = response.content.decode()
        assert response.context["nav_section"] == section
        assert f'<h1 class="page-title">{heading}</h1>' in html
        assert "<html" in html
        assert f'href="{reverse(name)}" aria-current="page"' in html
        assert response["Vary"] and "HX-Request" in response["Vary"]

    @pytest.mark.parametrize("name", LIST_PAGES)
    def test_htmx_request_gets_only_the_fragment(self, name, signed_in):
        response = signed_in.get(reverse(name), HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html
        assert "<h1>" not in html

    @pytest.mark.parametrize("name", LIST_PAGES)
    def test_history_restore_gets_the_full_page(self, name, signed_in):
        response = signed_in.get(reverse(name), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
        assert "<html" in response.content.decode()

    @pytest.mark.parametrize("name", [*LIST_PAGES, "vms:storage-create", "vms:affinity-group-create"])
    def test_person_without_subscription_is_told_so(self, name, client, user):
        client.force_login(user)
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert "You do not belong to any subscription" in response.content.decode()


class TestVirtualMachineList:
    def test_shows_the_columns_and_each_vms_details(self, signed_in, subscription):
        group = factories.AffinityGroupFactory(subscription=subscription, name="westgroup")
        grouped = factories.CloudServiceFactory(subscription=subscription, name="contosoweb", affinity_group=group)
        membership = factories.MembershipFactory(
            availability_set__cloud_service=grouped, availability_set__name="webset", virtual_machine__name="web1"
        )
        plain = factories.VirtualMachineFactory(
            name="sql1",
            cloud_service__subscription=subscription,
            cloud_service__name="contososql",
            cloud_service__region=factories.region("East US"),
            status=VirtualMachine.Status.PROVISIONING,
        )
        html = signed_in.get(reverse("vms:list")).content.decode()
        assert column_headers(html) == ["Name", "Status", "Location", "DNS Name", "Availability Set", "Created"]
        web1 = membership.virtual_machine
        assert f'<a href="{reverse("vms:dashboard", args=[web1.pk])}">web1</a>' in html
        assert f'<a href="{reverse("vms:dashboard", args=[plain.pk])}">sql1</a>' in html
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
        sql_row = next(row for row in rows if "sql1" in row)
        web_row = next(row for row in rows if "web1" in row)
        assert "Starting (Provisioning)" in sql_row and "East US" in sql_row and "contososql.cloudapp.net" in sql_row
        assert "Running" in web_row and "westgroup" in web_row and "contosoweb.cloudapp.net" in web_row
        assert "webset" in web_row

    def test_empty_list_points_to_new(self, signed_in):
        html = signed_in.get(reverse("vms:list")).content.decode()
        assert "You have no virtual machines. Click" in html
        assert f'<a href="{reverse("vms:wizard")}" hx-get="{reverse("vms:wizard")}"' in html

    def test_list_polls_while_a_vm_is_busy_and_stops_when_none_is(self, signed_in, subscription):
        vm = factories.VirtualMachineFactory(
            cloud_service__subscription=subscription, status=VirtualMachine.Status.PROVISIONING
        )
        busy = signed_in.get(reverse("vms:list"), HTTP_HX_REQUEST="true").content.decode()
        assert 'id="vm-list"' in busy and "every 2s" in busy
        vm.status = VirtualMachine.Status.RUNNING
        vm.save()
        idle = signed_in.get(reverse("vms:list"), HTTP_HX_REQUEST="true").content.decode()
        assert 'id="vm-list"' in idle and "every 2s" not in idle

    def test_paginates_with_page_size(self, signed_in, subscription, settings):
        settings.PAGE_SIZE = 2
        for name in ["alpha", "bravo", "charlie"]:
            factories.VirtualMachineFactory(name=name, cloud_service__subscription=subscription)
        first = signed_in.get(reverse("vms:list")).content.decode()
        assert "alpha" in first and "bravo" in first and "charlie" not in first
        assert "3 in all" in first
        next_url = re.search(r'href="([^"]*after=[^"]*)"', first).group(1)
        assert re.search(r'href="/virtual-machines/\?last=1"', first)
        second = signed_in.get(next_url.replace("&amp;", "&"), HTTP_HX_REQUEST="true").content.decode()
        assert "charlie" in second and "alpha" not in second
        assert 'hx-get="/virtual-machines/"' in second
        assert "Next" not in second


class TestCloudServiceList:
    def test_shows_dns_name_location_vm_count_and_link_to_its_sets(self, signed_in, subscription):
        service = factories.CloudServiceFactory(subscription=subscription, name="contosoweb")
        factories.VirtualMachineFactory.create_batch(2, cloud_service=service)
        factories.AvailabilitySetFactory(cloud_service=service)
        html = signed_in.get(reverse("vms:cloud-services")).content.decode()
        assert column_headers(html) == [
            "Name",
            "DNS Name",
            "Region/Affinity Group",
            "Virtual Machines",
            "Availability Sets",
        ]
        row = re.findall(r"<tr>(.*?)</tr>", html, re.S)[1]
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        assert cells[:4] == ["contosoweb", "contosoweb.cloudapp.net", "West US", "2"]
        assert f'href="{reverse("availability:list", args=[service.pk])}"' in row
        assert "Availability sets of contosoweb" in cells[4] and "(1)" in cells[4]

    def test_empty_list_points_to_new(self, signed_in):
        html = signed_in.get(reverse("vms:cloud-services")).content.decode()
        assert "You have no cloud services. Click" in html and reverse("vms:wizard") in html


class TestStorage:
    def test_lists_accounts_with_region_and_whether_generated(self, signed_in, subscription):
        factories.StorageAccountFactory(subscription=subscription, name="mystore")
        factories.StorageAccountFactory(
            subscription=subscription,
            name="portalvhdsabc",
            region=factories.region("North Europe"),
            automatically_generated=True,
        )
        html = signed_in.get(reverse("vms:storage")).content.decode()
        assert column_headers(html) == ["Name", "Region", "Automatically Generated"]
        rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
        assert re.search(r"mystore.*West US.*No", rows[1], re.S)
        assert re.search(r"portalvhdsabc.*North Europe.*Yes", rows[2], re.S)

    def test_form_has_labelled_name_and_region(self, signed_in):
        html = signed_in.get(reverse("vms:storage-create")).content.decode()
        assert "New storage account" in html
        assert '<label class="form-label" for="id_name">Name</label>' in html
        assert '<label class="form-label" for="id_region">Region</label>' in html

    def test_creating_an_account_redirects_to_the_list(self, signed_in, subscription):
        response = signed_in.post(reverse("vms:storage-create"), {"name": "newstore", "region": factories.region().pk})
        assert response.status_code == 302 and response["Location"] == reverse("vms:storage")
        account = StorageAccount.objects.get(name="newstore")
        assert account.subscription == subscription and not account.automatically_generated
        assert "Storage account newstore was created." in signed_in.get(reverse("vms:storage")).content.decode()

    def test_creating_an_account_with_htmx_sends_the_browser_to_the_list(self, signed_in, subscription):
        response = signed_in.post(
            reverse("vms:storage-create"),
            {"name": "newstore", "region": factories.region().pk},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200 and response["HX-Redirect"] == reverse("vms:storage")
        assert StorageAccount.objects.filter(subscription=subscription, name="newstore").exists()
        html = signed_in.get(reverse("vms:storage")).content.decode()
        assert "<td>newstore</td>" in html and "Storage account newstore was created." in html

    def test_new_storage_account_opens_as_a_modal_dialog_with_htmx(self, signed_in):
        response = signed_in.get(reverse("vms:storage-create"), HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert "<html" not in html and html.strip().startswith('<dialog class="portal-modal"')
        assert 'aria-labelledby="create-title"' in html and ">New storage account</h2>" in html

    @pytest.mark.parametrize("htmx", [True, False])
    def test_bad_name_is_shown_beside_the_field(self, htmx, signed_in):
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        response = signed_in.post(
            reverse("vms:storage-create"), {"name": "Bad_Name", "region": factories.region().pk}, **headers
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert ("<html" in html) is not htmx
        assert 'id="id_name_error">A storage account name can contain from 3 through 24 lowercase' in html
        assert not StorageAccount.objects.filter(name="Bad_Name").exists()

    def test_name_taken_in_another_subscription_is_refused(self, signed_in):
        factories.StorageAccountFactory(name="takenname")
        response = signed_in.post(reverse("vms:storage-create"), {"name": "takenname", "region": factories.region().pk})
        assert 'id="id_name_error"' in response.content.decode()
        assert StorageAccount.objects.filter(name="takenname").count() == 1

    def test_quota_of_storage_accounts_is_enforced(self, signed_in, subscription):
        subscription.storage_account_quota = 1
        subscription.save()
        factories.StorageAccountFactory(subscription=subscription)
        response = signed_in.post(reverse("vms:storage-create"), {"name": "onemore", "region": factories.region().pk})
        assert "You are limited to 1 storage accounts" in response.content.decode()
        assert not StorageAccount.objects.filter(name="onemore").exists()

    def test_empty_list_says_so(self, signed_in):
        html = signed_in.get(reverse("vms:storage")).content.decode()
        assert "You have no storage accounts." in html and reverse("vms:wizard") in html


class TestNetworks:
    def vnet_data(self, group, **overrides):
        data = {
            "virtual_network-name": "contosonet",
            "virtual_network-affinity_group": group.pk,
            "virtual_network-address_space": "10.1.0.0/16",
            "virtual_network-subnet_name": "FrontEnd",
            "virtual_network-subnet_address_prefix": "10.1.2.0/24",
        }
        data.update(overrides)
        return data

    def test_lists_affinity_groups_and_virtual_networks(self, signed_in, subscription):
        network = factories.VirtualNetworkFactory(subscription=subscription, name="contosonet")
        factories.SubnetFactory(virtual_network=network, name="FrontEnd", address_prefix="10.0.1.0/24")
        html = signed_in.get(reverse("vms:networks")).content.decode()
        assert column_headers(html) == [
            "Name",
            "Region",
            "Name",
            "Affinity Group",
            "Region",
            "Address Space",
            "Subnets",
        ]
        assert f"<td>{network.affinity_group.name}</td>" in html
        assert "<td>contosonet</td>" in html and "FrontEnd (10.0.1.0/24)" in html

    def test_creating_an_affinity_group(self, signed_in, subscription):
        region = factories.region("East Asia")
        response = signed_in.post(
            reverse("vms:affinity-group-create"),
            {"affinity_group-name": "asiagroup", "affinity_group-region": region.pk},
        )
        assert response.status_code == 302 and response["Location"] == reverse("vms:networks")
        assert AffinityGroup.objects.get(subscription=subscription, name="asiagroup").region == region

    def test_creating_an_affinity_group_with_htmx_sends_the_browser_to_the_list(self, signed_in, subscription):
        response = signed_in.post(
            reverse("vms:affinity-group-create"),
            {"affinity_group-name": "asiagroup", "affinity_group-region": factories.region().pk},
            HTTP_HX_REQUEST="true",
        )
        assert response["HX-Redirect"] == reverse("vms:networks")
        html = signed_in.get(reverse("vms:networks")).content.decode()
        assert "Affinity group asiagroup was created." in html and "<td>asiagroup</td>" in html

    def test_a_refused_name_comes_back_as_the_form_alone_with_htmx(self, signed_in, subscription):
        factories.AffinityGroupFactory(subscription=subscription, name="WestGroup")
        response = signed_in.post(
            reverse("vms:affinity-group-create"),
            {"affinity_group-name": "westgroup", "affinity_group-region": factories.region().pk, "part": "form"},
            HTTP_HX_REQUEST="true",
        )
        html = response.content.decode()
        assert html.strip().startswith('<form id="create-form"') and "<dialog" not in html
        assert 'id="id_affinity_group-name_error">This subscription already has an affinity group named' in html

    def test_affinity_group_name_in_use_is_refused_whatever_its_case(self, signed_in, subscription):
        factories.AffinityGroupFactory(subscription=subscription, name="WestGroup")
        response = signed_in.post(
            reverse("vms:affinity-group-create"),
            {"affinity_group-name": "westgroup", "affinity_group-region": factories.region().pk},
        )
        html = response.content.decode()
        assert response.status_code == 200
        assert 'id="id_affinity_group-name_error">This subscription already has an affinity group named' in html
        assert AffinityGroup.objects.filter(subscription=subscription).count() == 1

    def test_affinity_group_name_may_repeat_in_another_subscription(self, signed_in, subscription):
        factories.AffinityGroupFactory(name="westgroup")
        signed_in.post(
            reverse("vms:affinity-group-create"),
            {"affinity_group-name": "westgroup", "affinity_group-region": factories.region().pk},
        )
        assert AffinityGroup.objects.filter(subscription=subscription, name="westgroup").exists()

    def test_creating_a_virtual_network_with_its_first_subnet(self, signed_in, subscription):
        group = factories.AffinityGroupFactory(subscription=subscription)
        response = signed_in.post(reverse("vms:virtual-network-create"), self.vnet_data(group))
        assert response.status_code == 302
        network = VirtualNetwork.objects.get(subscription=subscription, name="contosonet")
        assert network.affinity_group == group and network.address_space == "10.1.0.0/16"
        assert list(network.subnets.values_list("name", "address_prefix")) == [("FrontEnd", "10.1.2.0/24")]

    def test_creating_a_virtual_network_with_htmx_sends_the_browser_to_the_list(self, signed_in, subscription):
        group = factories.AffinityGroupFactory(subscription=subscription)
        response = signed_in.post(reverse("vms:virtual-network-create"), self.vnet_data(group), HTTP_HX_REQUEST="true")
        assert response["HX-Redirect"] == reverse("vms:networks")
        assert "Virtual network contosonet was created." in signed_in.get(reverse("vms:networks")).content.decode()

    def test_affinity_group_of_another_subscription_is_refused(self, signed_in, subscription):
        factories.AffinityGroupFactory(subscription=subscription)
        foreign = factories.AffinityGroupFactory()
        response = signed_in.post(reverse("vms:virtual-network-create"), self.vnet_data(foreign))
        assert 'id="id_virtual_network-affinity_group_error">Select a valid choice' in response.content.decode()
        assert not VirtualNetwork.objects.exists()

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("address_space", "10.1.0.0", "Enter an address space in CIDR notation"),
            ("address_space", "10.1.0.1/16", "Enter an address space in CIDR notation"),
            ("subnet_address_prefix", "10.9.0.0/24", "The subnet must lie inside the address space 10.1.0.0/16."),
        ],
    )
    def test_bad_addresses_are_shown_beside_their_field(self, field, value, message, signed_in, subscription):
        group = factories.AffinityGroupFactory(subscription=subscription)
        response = signed_in.post(
            reverse("vms:virtual-network-create"), self.vnet_data(group, **{f"virtual_network-{field}": value})
        )
        assert f'id="id_virtual_network-{field}_error">{message}' in response.content.decode()
        assert not VirtualNetwork.objects.exists()

    def test_virtual_network_name_in_use_is_refused(self, signed_in, subscription):
        group = factories.AffinityGroupFactory(subscription=subscription)
        factories.VirtualNetworkFactory(subscription=subscription, affinity_group=group, name="ContosoNet")
        response = signed_in.post(reverse("vms:virtual-network-create"), self.vnet_data(group))
        assert "This subscription already has a virtual network named contosonet." in response.content.decode()

    def test_the_networks_page_links_both_new_dialogs_and_holds_no_form(self, signed_in):
        html = signed_in.get(reverse("vms:networks")).content.decode()
        main = html[html.index("<main") : html.index("</main>")]
        assert 'name="virtual_network-name"' not in main and 'name="affinity_group-name"' not in main
        assert f'hx-get="{reverse("vms:affinity-group-create")}" hx-target="#dialog-root"' in main
        assert f'hx-get="{reverse("vms:virtual-network-create")}" hx-target="#dialog-root"' in main


class TestNotifications:
    def test_polls_while_an_operation_is_in_progress(self, signed_in, subscription):
        factories.OperationFactory(virtual_machine__cloud_service__subscription=subscription)
        response = signed_in.get(reverse("vms:notifications"), HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert "<html" not in html
        assert html.strip().startswith('<section id="notifications"')
        assert re.search(r'hx-trigger="[^"]*every 2s', html)
        assert "Restarting virtual machine" in html and "In progress" in html
        assert f'href="{reverse("vms:activity")}"' in html

    def test_stops_polling_once_nothing_is_in_progress(self, signed_in, subscription):
        factories.OperationFactory(
            virtual_machine__cloud_service__subscription=subscription,
            status=Operation.Status.SUCCEEDED,
            message="Restarting virtual machine vm1: succeeded.",
            ended_at=timezone.now(),
        )
        html = signed_in.get(reverse("vms:notifications"), HTTP_HX_REQUEST="true").content.decode()
        assert 'id="notifications"' in html and "every 2s" not in html
        assert "Succeeded" in html and "succeeded." in html

    def test_shows_only_the_last_five_recent_finished_operations(self, signed_in, subscription):
        now = timezone.now()
        vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
        for minute in range(7):
            factories.OperationFactory(
                virtual_machine=vm,
                title=f"Operation {minute} minutes ago",
                status=Operation.Status.FAILED,
                ended_at=now - timedelta(minutes=minute),
            )
        factories.OperationFactory(
            virtual_machine=vm,
            title="Old operation",
            status=Operation.Status.SUCCEEDED,
            ended_at=now - timedelta(hours=1),
        )
        html = signed_in.get(reverse("vms:notifications"), HTTP_HX_REQUEST="true").content.decode()
        assert [f"Operation {minute} minutes ago" in html for minute in range(7)] == [True] * 5 + [False] * 2
        assert "Old operation" not in html

    def test_empty_area_keeps_its_id_and_does_not_poll(self, signed_in):
        html = signed_in.get(reverse("vms:notifications"), HTTP_HX_REQUEST="true").content.decode()
        assert 'id="notifications"' in html and "every 2s" not in html and "<li" not in html

    def test_without_htmx_is_a_full_page(self, signed_in, subscription):
        factories.OperationFactory(virtual_machine__cloud_service__subscription=subscription)
        html = signed_in.get(reverse("vms:notifications")).content.decode()
        assert "<html" in html and '<h1 class="page-title">Notifications</h1>' in html
        assert "Restarting virtual machine" in html

    def test_the_poll_settles_no_stale_operation_the_worker_schedule_does(self, signed_in, subscription, settings):
        settings.OPERATION_MAX_ATTEMPTS = 2
        operation = factories.OperationFactory(virtual_machine__cloud_service__subscription=subscription)
        Operation.objects.filter(pk=operation.pk).update(attempt_started_at=timezone.now() - timedelta(hours=1))
        signed_in.get(reverse("vms:notifications"), HTTP_HX_REQUEST="true")
        operation.refresh_from_db()
        assert operation.attempts == 1
        recover_stale_operations()
        operation.refresh_from_db()
        assert operation.attempts == 2 and operation.in_progress
        assert "vms.recover_stale_operations" in {job.name for job in periodic_jobs()}

    def test_an_unchanged_poll_gets_no_body_within_three_queries(
        self, signed_in, subscription, django_assert_max_num_queries
    ):
        factories.OperationFactory(virtual_machine__cloud_service__subscription=subscription)
        first = signed_in.get(reverse("vms:notifications"), HTTP_HX_REQUEST="true").content.decode()
        poll_url = re.search(r'hx-get="([^"]+)"', first).group(1).replace("&amp;", "&")
        assert "seen=" in poll_url
        with django_assert_max_num_queries(3):
            response = signed_in.get(poll_url, HTTP_HX_REQUEST="true")
        assert response.status_code == 204 and response.content == b""

    def test_a_poll_after_a_change_gets_the_new_list_with_one_more_query(
        self, signed_in, subscription, django_assert_num_queries
    ):
        vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
        first = signed_in.get(reverse("vms:notifications"), HTTP_HX_REQUEST="true").content.decode()
        poll_url = re.search(r'hx-get="([^"]+)"', first).group(1)
        vm_restart(vm=vm, user=None)
        with django_assert_num_queries(4):
            response = signed_in.get(poll_url, HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert response.status_code == 200 and f"Restarting virtual machine {vm.name}" in html
        assert re.search(r'hx-get="([^"]+)"', html).group(1) != poll_url
        assert '<span id="notification-count" class="badge rounded-pill portal-count" hx-swap-oob="true">' in html

    def test_finishing_an_operation_changes_what_the_poll_sees(self, signed_in, subscription):
        vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
        operation = vm_restart(vm=vm, user=None)
        html = signed_in.get(reverse("vms:notifications"), HTTP_HX_REQUEST="true").content.decode()
        poll_url = re.search(r'hx-get="([^"]+)"', html).group(1)
        assert signed_in.get(poll_url, HTTP_HX_REQUEST="true").status_code == 204
        operation_complete(operation_id=operation.pk, attempt=operation.attempts)
        response = signed_in.get(poll_url, HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and "Succeeded" in response.content.decode()

    def test_the_notifications_query_is_served_by_an_index(self, subscription, user):
        query = notifications_query(subscription=subscription, user=user, since=timezone.now())
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET enable_seqscan = off")  # tiny test tables would otherwise be scanned
            plan = query.explain()
            if connection.vendor == "postgresql":
                cursor.execute("RESET enable_seqscan")
        main = plan.splitlines()
        # On tables this small the planner may take any index that starts with the subscription.
        indexes = (
            "operation_recently_finished",
            "operation_in_progress",
            "operation_activity_order",
            "operation_activity_name",
        )
        assert any(index in line for line in main for index in indexes), plan
        assert "Seq Scan on vms_operation" not in plan and "SCAN vms_operation\n" not in plan + "\n"

    def test_a_dismissed_notification_stays_gone_for_that_person_only(self, signed_in, subscription, user):
        operation = factories.OperationFactory(
            virtual_machine__cloud_service__subscription=subscription,
            title="Shut down virtual machine web7",
            status=Operation.Status.SUCCEEDED,
            ended_at=timezone.now(),
        )
        response = signed_in.post(reverse("vms:notification-dismiss", args=[operation.pk]), HTTP_HX_REQUEST="true")
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html and "web7" not in html
        assert "web7" not in signed_in.get(reverse("vms:notifications"), HTTP_HX_REQUEST="true").content.decode()
        other = factories.UserFactory()
        subscription.members.add(other)
        assert notifications_for(subscription=subscription, user=other, since=timezone.now() - timedelta(minutes=1))
        assert "web7" in signed_in.get(reverse("vms:activity")).content.decode()

    def test_dismissing_without_htmx_returns_to_the_notifications_page(self, signed_in, subscription):
        operation = factories.OperationFactory(virtual_machine__cloud_service__subscription=subscription)
        response = signed_in.post(reverse("vms:notification-dismiss", args=[operation.pk]))
        assert response.status_code == 302 and response["Location"] == reverse("vms:notifications")
        assert OperationDismissal.objects.filter(operation=operation).count() == 1
        signed_in.post(reverse("vms:notification-dismiss", args=[operation.pk]))
        assert OperationDismissal.objects.filter(operation=operation).count() == 1

    def test_another_subscriptions_notification_cannot_be_dismissed(self, signed_in):
        operation = factories.OperationFactory()
        response = signed_in.post(reverse("vms:notification-dismiss", args=[operation.pk]))
        assert response.status_code == 404 and not OperationDismissal.objects.exists()

    def test_the_notifications_page_shows_the_list_once_and_no_panel(self, signed_in, subscription):
        factories.OperationFactory(virtual_machine__cloud_service__subscription=subscription)
        html = signed_in.get(reverse("vms:notifications")).content.decode()
        assert html.count('id="notifications"') == 1 and 'id="notifications-panel"' not in html
        assert html.count("portal-notification-title") == 1
        assert 'id="notification-count"' in html and 'aria-live="polite"' in html
        other = signed_in.get(reverse("vms:list")).content.decode()
        assert 'id="notifications-panel" class="portal-notifications-panel" hidden' in other
        assert 'aria-controls="notifications-panel"' in other

    def test_shows_an_operation_the_sweep_failed(self, signed_in, subscription, settings):
        settings.OPERATION_MAX_ATTEMPTS = 1
        operation = factories.OperationFactory(virtual_machine__cloud_service__subscription=subscription)
        Operation.objects.filter(pk=operation.pk).update(attempt_started_at=timezone.now() - timedelta(hours=1))
        operations_recover_stale()
        html = signed_in.get(reverse("vms:notifications"), HTTP_HX_REQUEST="true").content.decode()
        assert "Failed" in html and "was abandoned" in html

    def test_person_without_subscription_gets_an_empty_area(self, client, user):
        client.force_login(user)
        html = client.get(reverse("vms:notifications"), HTTP_HX_REQUEST="true").content.decode()
        assert 'id="notifications"' in html and "every 2s" not in html


class TestActivityLog:
    def test_lists_every_operation_newest_first_with_pages(self, signed_in, subscription, settings):
        settings.PAGE_SIZE = 2
        vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
        for number in range(3):
            factories.OperationFactory(
                virtual_machine=vm,
                title=f"Operation number {number}",
                status=Operation.Status.SUCCEEDED,
                ended_at=timezone.now(),
                requested_by=factories.UserFactory(username="requester"),
            )
        html = signed_in.get(reverse("vms:activity")).content.decode()
        assert '<h1 class="page-title">Activity Log</h1>' in html
        assert column_headers(html) == ["Operation", "Status", "Message", "Started", "Ended", "Requested By"]
        assert html.index("Operation number 2") < html.index("Operation number 1")
        assert "Operation number 0" not in html and "requester" in html
        assert f'<a href="{reverse("vms:dashboard", args=[vm.pk])}">Operation number 2</a>' in html
        next_url = re.search(r'href="([^"]*after=[^"]*)"', html).group(1)
        second = signed_in.get(next_url, HTTP_HX_REQUEST="true").content.decode()
        assert "<html" not in second and 'id="activity"' in second and "Operation number 0" in second


class TestIsolation:
    @pytest.fixture
    def others(self):
        """Objects of a subscription the signed-in person does not belong to, all named with 'zulu'."""
        other = factories.SubscriptionFactory(name="Zulu subscription")
        group = factories.AffinityGroupFactory(subscription=other, name="zulugroup")
        network = factories.VirtualNetworkFactory(subscription=other, affinity_group=group, name="zulunet")
        factories.SubnetFactory(virtual_network=network, name="zulusubnet")
        service = factories.CloudServiceFactory(subscription=other, name="zuluservice")
        vm = factories.VirtualMachineFactory(cloud_service=service, name="zuluvm", storage_account__name="zulustore")
        factories.MembershipFactory(virtual_machine=vm, availability_set__cloud_service=service)
        factories.OperationFactory(virtual_machine=vm, title="Restarting virtual machine zuluvm")
        return other

    @pytest.mark.parametrize("name", [*LIST_PAGES, "vms:notifications"])
    @pytest.mark.parametrize("htmx", [True, False])
    def test_nothing_of_another_subscription_appears(self, name, htmx, others, signed_in, subscription):
        factories.VirtualMachineFactory(cloud_service__subscription=subscription, name="myvm")
        headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
        html = signed_in.get(reverse(name), **headers).content.decode()
        assert "zulu" not in html.lower()


SEARCHED_AND_SORTED = [
    ("vms:list", "q=vm1"),
    ("vms:list", "sort=-name"),
    ("vms:list", "sort=status"),
    ("vms:list", "sort=-date"),
    ("vms:cloud-services", "q=service01"),
    ("vms:cloud-services", "sort=-name"),
    ("vms:storage", "q=storage01"),
    ("vms:storage", "sort=-name"),
    ("vms:activity", "q=vm1"),
    ("vms:activity", "sort=date"),
    ("vms:activity", "sort=-name"),
]


class TestSearchAndSort:
    @pytest.mark.parametrize(("name", "query"), SEARCHED_AND_SORTED)
    def test_query_count_is_the_same_with_3_rows_and_with_300(self, name, query, signed_in, subscription):
        url = f"{reverse(name)}?{query}"
        build_rows(subscription, 0, 3)
        few = (count_queries(signed_in, url), count_queries(signed_in, url, HTTP_HX_REQUEST="true"))
        build_rows(subscription, 3, 300)
        many = (count_queries(signed_in, url), count_queries(signed_in, url, HTTP_HX_REQUEST="true"))
        assert few == many == TestQueryCounts.PINNED[name]

    def test_the_search_keeps_names_that_start_with_the_text_as_typed(self, signed_in, subscription, settings):
        settings.PAGE_SIZE = 1000
        build_rows(subscription, 0, 30)
        html = signed_in.get(reverse("vms:list"), {"q": "vm2"}).content.decode()
        names = re.findall(r'">(vm\d+)</a></td>', html)
        assert names == ["vm2", *(f"vm2{i}" for i in range(10))]
        assert signed_in.get(reverse("vms:list"), {"q": "VM2"}).content.decode().count("<tr data-select>") == 0
        services = signed_in.get(reverse("vms:cloud-services"), {"q": "service001"}).content.decode()
        assert re.findall(r"service\d{4}\.cloudapp", services) == [f"service001{i}.cloudapp" for i in range(10)]
        activity = signed_in.get(reverse("vms:activity"), {"q": "vm29"}).content.decode()
        assert "Restarting virtual machine vm29" in activity and "vm28" not in activity

    def test_sorting_pages_through_every_row_once_in_order(self, signed_in, subscription, settings):
        settings.PAGE_SIZE = 4
        build_rows(subscription, 0, 10)
        VirtualMachine.objects.filter(name__in=["vm3", "vm7"]).update(status=VirtualMachine.Status.STOPPED)
        seen, url = [], f"{reverse('vms:list')}?sort=-status"
        while url:
            html = signed_in.get(url).content.decode()
            seen += re.findall(r'">(vm\d+)</a></td>', html)
            following = re.search(r'href="([^"]+)"[^>]*>Next</a>', html)
            url = following.group(1).replace("&amp;", "&") if following else ""
        running = sorted(
            (f"vm{i}" for i in range(10) if i not in (3, 7)), key=lambda n: VirtualMachine.objects.get(name=n).pk
        )
        # Descending by status ("stopped" after "running"), then by pk descending within a status.
        assert seen == ["vm7", "vm3", *reversed(running)]

    def test_a_column_header_links_to_its_sort_and_marks_the_current_one(self, signed_in, subscription):
        build_rows(subscription, 0, 2)
        html = signed_in.get(reverse("vms:list"), {"sort": "status"}).content.decode()
        assert re.search(r'<th scope="col" aria-sort="ascending"><a [^>]*href="/virtual-machines/\?sort=-status"', html)
        assert 'href="/virtual-machines/?sort=date"' in html
        searched = signed_in.get(reverse("vms:list"), {"sort": "status", "q": "vm"}).content.decode()
        # A search lists by name, the order its index gives.
        assert re.search(r'aria-sort="ascending"><a [^>]*href="/virtual-machines/\?q=vm&amp;sort=-name"', searched)

    def test_each_sort_and_search_is_served_by_an_index(self, subscription):
        from availability.selectors import virtual_machine_values
        from portal.listing import name_starts_with

        for key in ("name", "status", "created_at"):
            queryset = name_starts_with(virtual_machine_values(subscription), "vm1" if key == "name" else "")
            plan = queryset.order_by(key, "pk")[:10].explain()
            assert "SCAN" not in plan.replace("SCAN CONSTANT", "") or "USING INDEX vm_list" in plan, plan
            assert "TEMP B-TREE" not in plan, plan
