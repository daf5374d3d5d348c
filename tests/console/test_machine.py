"""A VM's page: the Dashboard and Configure tabs, the command bar and the Configure flow of the seed's Steps 3 and 4."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from availability.models import AvailabilitySet, Membership
from balancer.models import LoadBalancer, PublicAddress
from tests import factories
from vms.models import CloudService, Operation, VirtualMachine
from vms.services.operations import operations_recover_stale

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# What the status part sends when it polls (hx-vals in machine_status.html).
STATUS_POLL = {"part": "status"}
Status = VirtualMachine.Status


@pytest.fixture
def vm(subscription):
    return factories.VirtualMachineFactory(
        name="web1", cloud_service__subscription=subscription, cloud_service__name="contosoweb"
    )


@pytest.fixture
def foreign_vm():
    return factories.VirtualMachineFactory(name="theirs")


def dashboard_url(vm):
    return reverse("vms:dashboard", args=[vm.pk])


def configure_url(vm):
    return reverse("vms:configure", args=[vm.pk])


def command_url(vm, command):
    return reverse("vms:command", args=[vm.pk, command])


def in_progress(vm, kind=Operation.Kind.RESTART, **fields):
    return factories.OperationFactory(virtual_machine=vm, kind=kind, **fields)


class TestDashboard:
    def test_full_page_shows_the_quick_glance(self, signed_in, vm):
        response = signed_in.get(dashboard_url(vm))
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" in html
        for text in (
            "Running",
            "contosoweb.cloudapp.net",
            "Small (A1)",
            "West US",
            vm.storage_account.name,
            "Windows Server 2012 Datacenter",
            "portaladmin",
        ):
            assert text in html
        assert response.context["nav_section"] == "vms"

    def test_htmx_gets_the_tab_with_its_commands_swapped_out_of_band(self, signed_in, vm):
        response = signed_in.get(dashboard_url(vm), **HTMX)
        html = response.content.decode()
        assert "<html" not in html
        assert "contosoweb.cloudapp.net" in html
        assert 'hx-swap-oob="innerHTML:.portal-page-commands"' in html
        assert "</i> Shut Down</button>" in html
        assert response["Vary"].count("HX-Request") == 1

    def test_tabs_are_links_with_real_hrefs(self, signed_in, vm):
        html = signed_in.get(dashboard_url(vm)).content.decode()
        assert f'href="{dashboard_url(vm)}"' in html
        assert f'href="{configure_url(vm)}"' in html
        assert ">Dashboard</a>" in html
        assert ">Configure</a>" in html

    def test_shows_the_set_with_this_vms_domains_and_the_other_members(self, signed_in, vm):
        web_set = factories.AvailabilitySetFactory(cloud_service=vm.cloud_service, name="webset")
        factories.MembershipFactory(availability_set=web_set, virtual_machine=vm, fault_domain=0, update_domain=0)
        other = factories.MembershipFactory(
            availability_set=web_set, virtual_machine__name="web2", fault_domain=1, update_domain=1
        )
        response = signed_in.get(dashboard_url(vm))
        html = response.content.decode()
        assert "webset</a>:" in html
        assert "fault domain 0, update domain 0" in html
        assert [row.pk for row in response.context["neighbours"]] == [other.virtual_machine_id]
        assert f'href="{dashboard_url(other.virtual_machine)}"' in html
        assert f'href="{reverse("availability:detail", args=[web_set.pk])}"' in html

    def test_links_to_the_cloud_services_availability_sets(self, signed_in, vm):
        html = signed_in.get(dashboard_url(vm)).content.decode()
        assert f'href="{reverse("availability:list", args=[vm.cloud_service_id])}"' in html

    def test_a_vm_in_no_set_is_warned_it_can_be_rebooted(self, signed_in, vm):
        html = signed_in.get(dashboard_url(vm)).content.decode()
        assert "can and will be rebooted" in html

    def test_lists_the_vms_recent_operations(self, signed_in, vm):
        factories.OperationFactory(virtual_machine=vm, title="Restarting virtual machine web1", status="succeeded")
        html = signed_in.get(dashboard_url(vm)).content.decode()
        assert "Activity" in html
        assert "Restarting virtual machine web1" in html

    def test_status_polls_only_while_the_vm_is_in_a_passing_state(self, signed_in, vm):
        assert 'hx-trigger="every 2s"' not in signed_in.get(dashboard_url(vm)).content.decode()
        VirtualMachine.objects.filter(pk=vm.pk).update(status=Status.RESTARTING)
        assert 'hx-trigger="every 2s"' in signed_in.get(dashboard_url(vm)).content.decode()

    def test_the_status_poll_returns_the_status_part_with_commands_and_activity(self, signed_in, vm):
        response = signed_in.get(dashboard_url(vm), STATUS_POLL, **HTMX)
        html = response.content.decode()
        assert "<html" not in html
        assert html.count('id="vm-status"') == 1
        assert 'id="vm-activity" aria-labelledby="vm-activity-heading" hx-swap-oob="true"' in html
        assert "</i> Restart</button>" in html
        assert "Quick glance" not in html
        assert "HX-Request" in response["Vary"]

    def test_says_the_vm_is_being_created_while_it_is_and_the_poll_takes_that_away_once_it_runs(self, signed_in, vm):
        creating = "Creating virtual machine web1."
        VirtualMachine.objects.filter(pk=vm.pk).update(status=Status.PROVISIONING)
        assert creating in signed_in.get(dashboard_url(vm)).content.decode()
        poll = signed_in.get(dashboard_url(vm), STATUS_POLL, **HTMX).content.decode()
        assert creating in poll

        VirtualMachine.objects.filter(pk=vm.pk).update(status=Status.RUNNING)
        poll = signed_in.get(dashboard_url(vm), STATUS_POLL, **HTMX).content.decode()
        assert re.search(r'<div id="vm-banner" hx-swap-oob="true">\s*</div>', poll)
        assert creating not in signed_in.get(dashboard_url(vm)).content.decode()

    def test_another_subscriptions_vm_is_not_found(self, signed_in, foreign_vm):
        assert signed_in.get(dashboard_url(foreign_vm)).status_code == 404
        assert signed_in.get(dashboard_url(foreign_vm), **HTMX).status_code == 404

    def test_a_status_poll_for_a_vm_that_finished_deleting_goes_to_the_list(self, signed_in, vm):
        url = dashboard_url(vm)
        vm.delete()
        response = signed_in.get(url, STATUS_POLL, **HTMX)
        assert response["HX-Redirect"] == reverse("vms:list")

    def test_a_person_without_a_subscription_finds_nothing(self, client, foreign_vm):
        client.force_login(factories.UserFactory())
        assert client.get(dashboard_url(foreign_vm)).status_code == 404

    def test_only_get_is_allowed(self, signed_in, vm):
        assert signed_in.post(dashboard_url(vm)).status_code == 405


class TestQuickGlanceAccessAndDisk:
    """The quick glance says how a client reaches the VM (its input endpoints at the cloud service's public address)
    and where its OS disk lives."""

    @staticmethod
    def glance_of(client, vm) -> str:
        html = client.get(dashboard_url(vm)).content.decode()
        return html[html.index('id="quick-glance-heading"') : html.index("</dl>")]

    def test_lists_each_of_the_vms_input_endpoints_at_the_public_address(self, signed_in, vm):
        factories.EndpointFactory(virtual_machine=vm, name="HTTP", public_port=80, private_port=8080)
        factories.EndpointFactory(virtual_machine=vm, name="DNS", protocol="udp", public_port=53, private_port=5353)
        lb_set = factories.LoadBalancedSetFactory(cloud_service=vm.cloud_service, name="web", public_port=443)
        factories.EndpointFactory(virtual_machine=vm, name="HTTPS", public_port=443, load_balanced_set=lb_set)
        glance = self.glance_of(signed_in, vm)
        assert re.search(r"DNS \(UDP\):\s*<[^>]*>contosoweb.cloudapp.net:53</span>\s*to private port 5353", glance)
        assert re.search(r"HTTP \(TCP\):\s*<[^>]*>contosoweb.cloudapp.net:80</span>\s*to private port 8080", glance)
        assert "contosoweb.cloudapp.net:443" in glance
        assert "load-balanced set web" in glance
        # In order of public port.
        assert glance.index(":53<") < glance.index(":80<") < glance.index(":443<")

    def test_another_vms_endpoints_in_the_same_cloud_service_are_not_listed(self, signed_in, vm):
        other = factories.VirtualMachineFactory(cloud_service=vm.cloud_service, name="web2")
        factories.EndpointFactory(virtual_machine=other, name="Other", public_port=8081)
        glance = self.glance_of(signed_in, vm)
        assert "Other" not in glance
        assert "None: no public port of contosoweb.cloudapp.net reaches this virtual machine." in glance
        assert f'href="{reverse("endpoints:machine", args=[vm.pk])}"' in glance

    def test_shows_the_public_virtual_ip_address_the_load_balancer_gave_the_cloud_service(self, signed_in, vm):
        assert "Public Virtual IP (VIP) Address" not in self.glance_of(signed_in, vm)
        balancer = LoadBalancer.objects.create(region=vm.cloud_service.region, public_addresses="203.0.113.0/29")
        PublicAddress.objects.create(load_balancer=balancer, cloud_service=vm.cloud_service, address="203.0.113.5")
        glance = self.glance_of(signed_in, vm)
        assert re.search(r"Public Virtual IP \(VIP\) Address</dt>\s*<dd[^>]*>203.0.113.5</dd>", glance)

    def test_a_windows_vms_os_disk_is_127_gb_in_the_vhds_container_of_its_storage_account(self, signed_in, vm):
        glance = self.glance_of(signed_in, vm)
        link = (
            f"https://{vm.storage_account.name}.blob.core.windows.net/vhds/"
            f"contosoweb-web1-0-{vm.created_at:%Y%m%d%H%M%S}.vhd"
        )
        assert f"127 GB, in storage account {vm.storage_account.name} at" in glance
        assert f">{link}</span>" in glance
        assert f'href="{link}"' not in glance

    def test_a_linux_vms_os_disk_is_30_gb(self, signed_in, subscription):
        vm = factories.VirtualMachineFactory(
            cloud_service__subscription=subscription, image_version=factories.image_version("Ubuntu Server 12.04 LTS")
        )
        assert "30 GB, in storage account" in self.glance_of(signed_in, vm)

    def test_the_status_poll_reads_no_endpoints(self, signed_in, vm, django_assert_num_queries):
        factories.EndpointFactory(virtual_machine=vm, name="HTTP", public_port=80)
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get(dashboard_url(vm), STATUS_POLL, **HTMX)
        assert "cloudapp.net:80" not in response.content.decode()
        assert not any("endpoint" in query["sql"] for query in queries.captured_queries)


class TestStaleOperationsOnTheDashboard:
    """Recovery is the worker's: the dashboard shows what the sweep did and changes nothing itself."""

    def stale_restart(self, vm, settings, *, attempts: int = 1):
        VirtualMachine.objects.filter(pk=vm.pk).update(status=Status.RESTARTING)
        operation = in_progress(vm, attempts=attempts)
        Operation.objects.filter(pk=operation.pk).update(
            attempt_started_at=timezone.now() - timedelta(seconds=settings.OPERATION_TIMEOUT_SECONDS + 1)
        )
        return operation

    def test_viewing_a_dashboard_recovers_nothing(self, signed_in, vm, settings):
        operation = self.stale_restart(vm, settings)
        signed_in.get(dashboard_url(vm))
        signed_in.get(dashboard_url(vm), STATUS_POLL, **HTMX)
        operation.refresh_from_db()
        assert operation.attempts == 1 and operation.in_progress

    def test_a_restart_the_sweep_retried_says_so(self, signed_in, vm, settings):
        self.stale_restart(vm, settings)
        operations_recover_stale()
        assert "retrying (attempt 2 of 2)" in signed_in.get(dashboard_url(vm)).content.decode()

    def test_once_the_sweep_fails_it_the_vm_leaves_restarting_and_polling_stops(self, signed_in, vm, settings):
        self.stale_restart(vm, settings, attempts=settings.OPERATION_MAX_ATTEMPTS)
        operations_recover_stale()
        response = signed_in.get(dashboard_url(vm), STATUS_POLL, **HTMX)
        vm.refresh_from_db()
        assert vm.status == Status.STOPPED
        html = response.content.decode()
        assert "was abandoned" in html
        assert 'hx-trigger="every 2s"' not in html


class TestCommands:
    @pytest.mark.parametrize(
        ("command", "before", "passing", "after"),
        [
            ("start", Status.STOPPED, Status.STARTING, Status.RUNNING),
            ("shutdown", Status.RUNNING, Status.STOPPING, Status.STOPPED),
            ("restart", Status.RUNNING, Status.RESTARTING, Status.RUNNING),
        ],
    )
    def test_a_command_passes_through_its_state_in_the_worker(
        self, signed_in, vm, django_capture_on_commit_callbacks, command, before, passing, after
    ):
        VirtualMachine.objects.filter(pk=vm.pk).update(status=before)
        with django_capture_on_commit_callbacks(execute=True):
            response = signed_in.post(command_url(vm, command))
            vm.refresh_from_db()
            assert vm.status == passing
        assert response.status_code == 302
        assert response["Location"] == dashboard_url(vm)
        vm.refresh_from_db()
        assert vm.status == after
        operation = Operation.objects.get(virtual_machine=vm)
        assert operation.kind == command
        assert operation.status == Operation.Status.SUCCEEDED

    def test_htmx_gets_the_dashboard_polling_the_passing_state(self, signed_in, vm):
        response = signed_in.post(command_url(vm, "shutdown"), **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "<html" not in html
        assert "Stopping" in html
        assert 'hx-trigger="every 2s"' in html
        assert "Shutting down virtual machine web1" in html
        assert "operations-changed" in response["HX-Trigger"]

    def test_commands_are_disabled_while_an_operation_runs(self, signed_in, vm):
        VirtualMachine.objects.filter(pk=vm.pk).update(status=Status.RESTARTING)
        in_progress(vm)
        response = signed_in.get(dashboard_url(vm))
        assert response.context["commands"] == ()
        assert "Start</button>" in response.content.decode()
        assert response.content.decode().count(" disabled>") == 5  # Connect and the four commands

    def test_a_running_vm_can_shut_down_restart_and_delete_but_not_start(self, signed_in, vm):
        response = signed_in.get(dashboard_url(vm))
        assert set(response.context["commands"]) == {"shutdown", "restart", "delete"}

    def test_a_second_command_while_one_runs_is_refused_with_a_message(self, signed_in, vm):
        VirtualMachine.objects.filter(pk=vm.pk).update(status=Status.RESTARTING)
        in_progress(vm)
        response = signed_in.post(command_url(vm, "restart"), follow=True)
        assert "web1 is still in progress" in response.content.decode()
        assert Operation.objects.filter(virtual_machine=vm).count() == 1

    def test_the_busy_refusal_shows_in_the_htmx_fragment(self, signed_in, vm):
        VirtualMachine.objects.filter(pk=vm.pk).update(status=Status.RESTARTING)
        in_progress(vm)
        response = signed_in.post(command_url(vm, "shutdown"), **HTMX)
        html = response.content.decode()
        assert "<html" not in html
        assert 'role="alert"' in html
        assert "web1 is still in progress" in html
        assert "HX-Trigger" not in response

    def test_a_command_the_state_forbids_is_refused(self, signed_in, vm):
        response = signed_in.post(command_url(vm, "start"), follow=True)
        assert "web1 is Running; start is not possible now." in response.content.decode()
        assert not Operation.objects.exists()

    def test_commands_take_post_only(self, signed_in, vm):
        assert signed_in.get(command_url(vm, "restart")).status_code == 405
        vm.refresh_from_db()
        assert vm.status == Status.RUNNING

    def test_an_unknown_command_is_not_found(self, signed_in, vm):
        assert signed_in.post(command_url(vm, "reboot")).status_code == 404

    def test_another_subscriptions_vm_cannot_be_commanded(self, signed_in, foreign_vm):
        assert signed_in.post(command_url(foreign_vm, "shutdown")).status_code == 404
        assert signed_in.post(command_url(foreign_vm, "delete"), {"confirmed": "True"}, **HTMX).status_code == 404
        foreign_vm.refresh_from_db()
        assert foreign_vm.status == Status.RUNNING


class TestDelete:
    def test_delete_first_asks_offering_to_delete_the_last_vms_cloud_service(self, signed_in, vm):
        response = signed_in.post(command_url(vm, "delete"))
        html = response.content.decode()
        assert "<html" in html
        assert '<dialog class="portal-modal"' in html
        assert "Also delete the cloud service contosoweb.cloudapp.net" in html
        assert 'name="delete_cloud_service"' in html
        vm.refresh_from_db()
        assert vm.status == Status.RUNNING

    def test_the_confirmation_names_the_cloud_service_the_vm_leaves(self, signed_in, vm):
        for headers in ({}, HTMX):
            html = signed_in.post(command_url(vm, "delete"), **headers).content.decode()
            assert "web1 will be shut down and deleted from the cloud service contosoweb." in html
            assert "web1 is the last virtual machine in contosoweb.cloudapp.net." in html

    def test_the_htmx_confirmation_is_the_dialog_alone(self, signed_in, vm):
        html = signed_in.post(command_url(vm, "delete"), **HTMX).content.decode()
        assert "<html" not in html
        assert html.lstrip().startswith('<dialog class="portal-modal"')
        assert ">Yes</button>" in html

    def test_a_vm_that_is_not_the_last_gets_no_cloud_service_checkbox(self, signed_in, vm):
        factories.VirtualMachineFactory(cloud_service=vm.cloud_service, name="web2")
        html = signed_in.post(command_url(vm, "delete")).content.decode()
        assert 'name="delete_cloud_service"' not in html

    def test_confirmed_delete_removes_the_vm_and_the_cloud_service_when_asked(
        self, signed_in, vm, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = signed_in.post(command_url(vm, "delete"), {"confirmed": "True", "delete_cloud_service": "on"})
        assert response.status_code == 302
        assert response["Location"] == reverse("vms:list")
        assert not VirtualMachine.objects.filter(pk=vm.pk).exists()
        assert not CloudService.objects.filter(name="contosoweb").exists()

    def test_confirmed_delete_keeps_the_cloud_service_unless_asked(
        self, signed_in, vm, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = signed_in.post(command_url(vm, "delete"), {"confirmed": "True"}, **HTMX)
        assert response["HX-Redirect"] == reverse("vms:list")
        assert not VirtualMachine.objects.filter(pk=vm.pk).exists()
        assert CloudService.objects.filter(name="contosoweb").exists()

    def test_delete_while_busy_is_refused_in_the_dialog(self, signed_in, vm):
        VirtualMachine.objects.filter(pk=vm.pk).update(status=Status.RESTARTING)
        in_progress(vm)
        html = signed_in.post(command_url(vm, "delete"), {"confirmed": "True"}, **HTMX).content.decode()
        assert '<dialog class="portal-modal"' in html
        assert "web1 is still in progress" in html
        assert VirtualMachine.objects.filter(pk=vm.pk).exists()


class TestConfigurePage:
    def test_full_page_has_labelled_size_and_availability_set_fields(self, signed_in, vm):
        response = signed_in.get(configure_url(vm))
        html = response.content.decode()
        assert "<html" in html
        for field, label in (
            ("size", "Size"),
            ("availability_set", "Availability Set"),
            ("availability_set_name", "Availability Set Name"),
        ):
            assert f'<label class="form-label" for="id_{field}">{label}</label>' in html
        assert ">Create Availability Set</option>" in html
        assert '<option value="none" selected>None</option>' in html

    def test_htmx_gets_the_tab_with_save_and_discard_out_of_band(self, signed_in, vm):
        html = signed_in.get(configure_url(vm), **HTMX).content.decode()
        assert "<html" not in html
        assert 'id="configure-form"' in html
        assert (
            'form="configure-form" class="btn btn-link command" aria-describedby="configure-note">'
            '<i class="bi bi-floppy" aria-hidden="true"></i> Save</button>' in html
        )
        assert "</i> Discard</button>" in html
        assert "restarted to finalize the membership in the availability set.</span>" in html

    def test_only_the_vms_own_cloud_services_sets_are_offered(self, signed_in, vm, subscription):
        own = factories.AvailabilitySetFactory(cloud_service=vm.cloud_service, name="ownset")
        elsewhere = factories.AvailabilitySetFactory(cloud_service__subscription=subscription, name="elsewhere")
        html = signed_in.get(configure_url(vm)).content.decode()
        assert f'<option value="{own.pk}">ownset</option>' in html
        assert "elsewhere" not in html
        assert elsewhere.pk != own.pk

    def test_a_member_sees_its_set_selected(self, signed_in, vm):
        membership = factories.MembershipFactory(availability_set__cloud_service=vm.cloud_service, virtual_machine=vm)
        html = signed_in.get(configure_url(vm)).content.decode()
        assert f'<option value="{membership.availability_set_id}" selected>' in html

    def test_another_subscriptions_vm_is_not_found(self, signed_in, foreign_vm):
        assert signed_in.get(configure_url(foreign_vm)).status_code == 404
        assert signed_in.get(configure_url(foreign_vm), **HTMX).status_code == 404
        response = signed_in.post(configure_url(foreign_vm), {"size": foreign_vm.size_id, "availability_set": "none"})
        assert response.status_code == 404


class TestConfigureSave:
    def post(self, client, vm, htmx=False, **data):
        payload = {"size": vm.size_id, "availability_set": "none", "availability_set_name": ""} | data
        return client.post(configure_url(vm), payload, **(HTMX if htmx else {}))

    @pytest.mark.parametrize("owner", ["other cloud service", "other subscription"])
    def test_a_hand_posted_set_from_elsewhere_is_refused_and_nothing_changes(self, signed_in, vm, subscription, owner):
        cloud_service = factories.CloudServiceFactory(
            subscription=subscription if owner == "other cloud service" else factories.SubscriptionFactory()
        )
        elsewhere = factories.AvailabilitySetFactory(cloud_service=cloud_service)
        response = self.post(signed_in, vm, availability_set=str(elsewhere.pk))
        assert response.status_code == 200
        assert "availability_set" in response.context["form"].errors
        assert not Membership.objects.exists()
        assert not Operation.objects.exists()
        vm.refresh_from_db()
        assert vm.status == Status.RUNNING

    def test_create_availability_set_needs_a_name(self, signed_in, vm):
        response = self.post(signed_in, vm, htmx=True, availability_set="new")
        assert response.context["form"].errors["availability_set_name"] == ["Enter a name for the availability set."]
        assert "<html" not in response.content.decode()
        assert not AvailabilitySet.objects.exists()

    def test_a_taken_set_name_lands_beside_the_name_field(self, signed_in, vm):
        factories.AvailabilitySetFactory(cloud_service=vm.cloud_service, name="webset")
        response = self.post(signed_in, vm, availability_set="new", availability_set_name="WebSet")
        assert (
            "already has an availability set named WebSet"
            in response.context["form"].errors["availability_set_name"][0]
        )
        assert not Operation.objects.exists()

    def test_a_size_over_the_cores_quota_is_refused_on_the_size_field(self, signed_in, vm, subscription):
        subscription.core_quota = 2
        subscription.save()
        response = self.post(signed_in, vm, size=factories.size("Large").pk)
        assert "cores" in response.context["form"].errors["size"][0]
        vm.refresh_from_db()
        assert vm.size.name == "Small"

    def test_a_new_size_is_saved_and_the_vm_restarts_into_it(self, signed_in, vm, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            response = self.post(signed_in, vm, size=factories.size("Medium").pk)
            assert VirtualMachine.objects.get(pk=vm.pk).status == Status.RESTARTING
        assert response.status_code == 302
        vm.refresh_from_db()
        assert (vm.size.name, vm.status) == ("Medium", Status.RUNNING)
        assert Operation.objects.get(virtual_machine=vm).details == {"changes": ["size Medium"]}

    def test_a_change_while_an_operation_runs_is_refused_with_the_busy_message(self, signed_in, vm):
        VirtualMachine.objects.filter(pk=vm.pk).update(status=Status.RESTARTING)
        in_progress(vm)
        response = self.post(signed_in, vm, htmx=True, availability_set="new", availability_set_name="webset")
        html = response.content.decode()
        assert "web1 is still in progress. Wait for it to finish, then try again." in html
        assert 'role="alert"' in html
        assert not AvailabilitySet.objects.exists()
        assert Operation.objects.filter(virtual_machine=vm).count() == 1

    def test_saving_nothing_new_says_so_and_restarts_nothing(self, signed_in, vm):
        response = self.post(signed_in, vm)
        assert "There are no changes to save." in response.content.decode()
        assert not Operation.objects.exists()

    def test_leaving_a_set_frees_its_slot(self, signed_in, vm, django_capture_on_commit_callbacks):
        web_set = factories.AvailabilitySetFactory(cloud_service=vm.cloud_service)
        factories.MembershipFactory(availability_set=web_set, virtual_machine=vm, fault_domain=0, update_domain=0)
        other = factories.MembershipFactory(availability_set=web_set, fault_domain=1, update_domain=1)
        with django_capture_on_commit_callbacks(execute=True):
            self.post(signed_in, vm, availability_set="none")
        assert not Membership.objects.filter(virtual_machine=vm).exists()
        newcomer = factories.VirtualMachineFactory(cloud_service=vm.cloud_service, name="web3")
        with django_capture_on_commit_callbacks(execute=True):
            self.post(signed_in, newcomer, availability_set=str(web_set.pk))
        newcomer.refresh_from_db()
        assert (newcomer.membership.fault_domain, newcomer.membership.update_domain) == (0, 0)
        assert other.virtual_machine.membership.update_domain == 1

    def test_step_3_create_an_availability_set_for_a_stand_alone_vm(
        self, signed_in, vm, django_capture_on_commit_callbacks
    ):
        page = signed_in.get(configure_url(vm)).content.decode()
        assert "Create Availability Set" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = self.post(signed_in, vm, availability_set="new", availability_set_name="webset")
            vm.refresh_from_db()
            assert vm.status == Status.RESTARTING
        assert response.status_code == 302
        assert response["Location"] == dashboard_url(vm)
        vm.refresh_from_db()
        assert vm.status == Status.RUNNING
        assert vm.membership.availability_set.name == "webset"
        assert (vm.membership.fault_domain, vm.membership.update_domain) == (0, 0)
        operation = Operation.objects.get(virtual_machine=vm)
        assert (operation.kind, operation.status) == (Operation.Kind.CONFIGURE, Operation.Status.SUCCEEDED)
        configure_page = signed_in.get(configure_url(vm)).content.decode()
        assert f'<option value="{vm.membership.availability_set_id}" selected>webset</option>' in configure_page

    def test_step_4_add_a_previously_created_vm_to_the_set(self, signed_in, vm, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            self.post(signed_in, vm, availability_set="new", availability_set_name="webset")
        web_set = AvailabilitySet.objects.get(name="webset")
        second = factories.VirtualMachineFactory(cloud_service=vm.cloud_service, name="web2")
        page = signed_in.get(configure_url(second), **HTMX).content.decode()
        assert f'<option value="{web_set.pk}">webset</option>' in page
        with django_capture_on_commit_callbacks(execute=True):
            response = self.post(signed_in, second, htmx=True, availability_set=str(web_set.pk))
        assert response.status_code == 200
        assert '"path": "' + dashboard_url(second) in response["HX-Location"]
        assert "operations-changed" in response["HX-Trigger"]
        vm.refresh_from_db()
        second.refresh_from_db()
        assert second.status == Status.RUNNING
        assert second.membership.availability_set == web_set
        assert vm.membership.fault_domain != second.membership.fault_domain
        assert vm.membership.update_domain != second.membership.update_domain
        dashboard = signed_in.get(dashboard_url(second)).content.decode()
        assert f'href="{dashboard_url(vm)}"' in dashboard


def members_of(availability_set, count):
    """Add `count` VMs to a set in placement order (their passwords unhashed, to keep the test quick)."""
    return [
        factories.MembershipFactory(
            availability_set=availability_set,
            virtual_machine__password_hash="!",
            fault_domain=index % 2,
            update_domain=index % 5,
        ).virtual_machine
        for index in range(count)
    ]


class TestQueryBudget:
    @staticmethod
    def dashboard_queries(client, subscription, members):
        vms = members_of(factories.AvailabilitySetFactory(cloud_service__subscription=subscription), members)
        for target in vms[:3]:
            factories.OperationFactory(virtual_machine=target, status=Operation.Status.SUCCEEDED)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(dashboard_url(vms[0])).status_code == 200
        return len(queries)

    def test_the_dashboard_runs_the_same_queries_with_2_and_40_members(self, signed_in, subscription):
        few = self.dashboard_queries(signed_in, subscription, 2)
        many = self.dashboard_queries(signed_in, subscription, 40)
        assert few == many

    @pytest.mark.parametrize("members", [2, 40])
    def test_the_dashboard_runs_its_pinned_queries(self, signed_in, subscription, members, django_assert_num_queries):
        first = members_of(factories.AvailabilitySetFactory(cloud_service__subscription=subscription), members)[0]
        factories.EndpointFactory.create_batch(members, virtual_machine=first)
        # Session, user, the person's subscriptions, the VM, its activity, the other members of its set, and the
        # public address and endpoints a client uses (one read, console/selectors.py); the small usage chart at the
        # top comes in a request of its own.
        with django_assert_num_queries(7):
            assert signed_in.get(dashboard_url(first)).status_code == 200

    @pytest.mark.parametrize("sets", [1, 30])
    def test_the_configure_tab_runs_its_pinned_queries(self, signed_in, vm, sets, django_assert_num_queries):
        factories.AvailabilitySetFactory.create_batch(sets, cloud_service=vm.cloud_service)
        with django_assert_num_queries(7):
            assert signed_in.get(configure_url(vm)).status_code == 200


class TestStatusPart:
    """The status poll is told apart by the part it names, never by the id of the element it lands in."""

    @pytest.mark.parametrize("target", [None, "vm-status", "main", "renamed-status"])
    def test_the_status_part_answers_whatever_the_target(self, signed_in, vm, target):
        headers = {"HTTP_HX_TARGET": target} if target else {}
        html = signed_in.get(dashboard_url(vm), STATUS_POLL, **HTMX, **headers).content.decode()
        assert html.count('id="vm-status"') == 1 and "Quick glance" not in html

    @pytest.mark.parametrize("target", [None, "vm-status", "main"])
    def test_without_the_part_htmx_gets_the_dashboard_whatever_the_target(self, signed_in, vm, target):
        headers = {"HTTP_HX_TARGET": target} if target else {}
        html = signed_in.get(dashboard_url(vm), **HTMX, **headers).content.decode()
        assert "<html" not in html and "Quick glance" in html

    def test_the_poll_names_the_status_part(self, signed_in, vm):
        VirtualMachine.objects.filter(pk=vm.pk).update(status=Status.RESTARTING)
        html = signed_in.get(dashboard_url(vm)).content.decode()
        assert re.search(
            r'<div id="vm-status" hx-get="[^"]+" hx-vals=\'\{"part": "status"\}\' hx-trigger="every 2s"', html
        )

    def test_the_answer_varies_by_htmx_only(self, signed_in, vm):
        response = signed_in.get(dashboard_url(vm), STATUS_POLL, **HTMX)
        assert "HX-Request" in response["Vary"] and "HX-Target" not in response["Vary"]
