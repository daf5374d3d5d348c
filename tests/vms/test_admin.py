"""The admin: every page loads, and staff edits pass the same rules as the portal without a server error."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, Dependency, Drill, DrillEvent, Role
from availability.models import AvailabilitySet, FaultDomainRack, Membership
from balancer.models import LoadBalancer, PublicAddress
from classic.models import ClassicCloudService, ClassicRequest, ManagementCertificate
from credentials.services import api_token_create
from endpoints.models import RotationChange
from fabric.models import HostLease, ImageSource
from portal.models import PeriodicRun, WizardDraft
from tests import factories
from tests.helpers.admin import admin_url, form_data
from tests.helpers.fabric import place_in_rack
from vms.models import CloudService, Operation, OperationDismissal, StorageAccount, VirtualMachine
from vms.tasks import carry_out_operation

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_of_each(settings, user):
    """At least one row of every model the admin shows."""
    Group.objects.create(name="Operators")
    membership = factories.MembershipFactory()
    operation = factories.OperationFactory(virtual_machine=membership.virtual_machine)
    OperationDismissal.objects.create(operation=operation, user=user)
    factories.SubnetFactory(virtual_network__subscription=membership.availability_set.cloud_service.subscription)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    carry_out_operation.enqueue(1, 1)
    PeriodicRun.objects.create(name="vms.example", next_run_at=timezone.now())
    # Sign-in throttling's records: a failed attempt, and a sign-in.
    visitor = Client()
    visitor.post(reverse("login"), {"username": "nobody", "password": "not-the-password"})
    visitor.post(reverse("login"), {"username": user.username, "password": factories.STRONG_PASSWORD})
    lb_set = factories.LoadBalancedSetFactory(cloud_service=membership.virtual_machine.cloud_service)
    member = factories.EndpointFactory(virtual_machine=membership.virtual_machine, load_balanced_set=lb_set)
    RotationChange.objects.create(load_balanced_set=lb_set, endpoint=member, in_rotation=True, at=timezone.now())
    owner = factories.UserFactory()
    api_token_create(
        user=owner,
        subscription=factories.SubscriptionFactory(members=[owner]),
        name="monitor",
        expires_at=timezone.now() + timedelta(days=1),
    )
    cloud_service = membership.availability_set.cloud_service
    ClassicCloudService.objects.create(cloud_service=cloud_service, label="Contoso", deployment_name="contoso")
    ClassicRequest.objects.create(subscription=cloud_service.subscription)
    ManagementCertificate.objects.create(
        subscription=cloud_service.subscription,
        uploaded_by=user,
        thumbprint="A" * 40,
        subject="CN=portal test",
        not_after=timezone.now(),
    )
    application = Application.objects.create(subscription=cloud_service.subscription, name="Web shop")
    web = Role.objects.create(application=application, name="Web", availability_set=membership.availability_set)
    data = Role.objects.create(application=application, name="Data", virtual_machine=factories.VirtualMachineFactory())
    Dependency.objects.create(role=web, depends_on=data)
    drill = Drill.objects.create(application=application, kind=Drill.Kind.WALK, status=Drill.Status.COMPLETED)
    DrillEvent.objects.create(drill=drill, at=timezone.now(), text="Update domain 0 walked.", application_up=True)
    placement = place_in_rack(membership.virtual_machine, "r1")
    WizardDraft.objects.create(owner=user, wizard="vms", updated_at=timezone.now(), expires_at=timezone.now())
    HostLease.objects.create(host=placement.host, worker_id="worker-1", heartbeat_at=timezone.now())
    FaultDomainRack.objects.create(
        availability_set=membership.availability_set, fault_domain=0, rack=placement.host.rack
    )
    ImageSource.objects.create(image_version=membership.virtual_machine.image_version, volume="base.qcow2")
    balancer = LoadBalancer.objects.create(
        region=membership.virtual_machine.cloud_service.region,
        public_addresses="127.0.1.0/29",
        config_path="/nonexistent/haproxy.cfg",
        runtime_socket="/nonexistent/runtime.sock",
        master_socket="/nonexistent/master.sock",
    )
    PublicAddress.objects.create(
        load_balancer=balancer, cloud_service=membership.virtual_machine.cloud_service, address="127.0.1.1"
    )
    return membership


class TestEveryPageLoads:
    @pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda model: model._meta.label)
    def test_changelist_add_and_change_pages(self, model, admin_client, one_of_each):
        model_admin = admin.site._registry[model]
        assert admin_client.get(admin_url(model, "changelist")).status_code == 200
        assert admin_client.get(admin_url(model, "changelist"), {"q": "a"}).status_code == 200
        request = admin_client.get(admin_url(model, "changelist")).wsgi_request
        add_page = admin_client.get(admin_url(model, "add"))
        assert add_page.status_code == (200 if model_admin.has_add_permission(request) else 403)
        obj = model._default_manager.first()
        assert obj is not None, f"no {model._meta.label} to open"
        assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200

    def test_every_portal_model_is_registered(self):
        registered = {model._meta.label for model in admin.site._registry}
        for label in ("portal", "vms", "availability"):
            assert {model._meta.label for model in apps.get_app_config(label).get_models()} <= registered

    @pytest.mark.parametrize(
        "model", [model for model in admin.site._registry if model._meta.app_label in {"portal", "vms", "availability"}]
    )
    def test_changelist_query_count_does_not_grow_with_rows(self, model, admin_client, one_of_each, settings):
        with CaptureQueriesContext(connection) as few:
            admin_client.get(admin_url(model, "changelist"))
        factories.MembershipFactory.create_batch(3)
        factories.OperationFactory.create_batch(3)
        factories.SubnetFactory.create_batch(3)
        with CaptureQueriesContext(connection) as more:
            admin_client.get(admin_url(model, "changelist"))
        assert len(more.captured_queries) == len(few.captured_queries)


class TestMembershipAdmin:
    def post_membership(self, admin_client, vm, availability_set, fault_domain=0, update_domain=0):
        return admin_client.post(
            admin_url(Membership, "add"),
            {
                "virtual_machine": vm.pk,
                "availability_set": availability_set.pk,
                "fault_domain": fault_domain,
                "update_domain": update_domain,
            },
        )

    def test_refuses_a_set_of_another_cloud_service(self, admin_client):
        vm = factories.VirtualMachineFactory()
        other_set = factories.AvailabilitySetFactory(cloud_service__subscription=vm.cloud_service.subscription)
        response = self.post_membership(admin_client, vm, other_set)
        assert response.status_code == 200
        assert "A virtual machine can join only an availability set of its own cloud service." in str(
            response.context["adminform"].form.errors["availability_set"]
        )
        assert not Membership.objects.exists()

    @pytest.mark.parametrize("fault_domain", [2, 5])
    def test_refuses_a_fault_domain_outside_the_sets_range(self, admin_client, fault_domain):
        availability_set = factories.AvailabilitySetFactory(fault_domain_count=2)
        vm = factories.VirtualMachineFactory(cloud_service=availability_set.cloud_service)
        response = self.post_membership(admin_client, vm, availability_set, fault_domain=fault_domain)
        assert response.status_code == 200
        assert "This set has fault domains 0 to 1." in str(response.context["adminform"].form.errors["fault_domain"])
        assert not Membership.objects.exists()

    def test_refuses_an_update_domain_outside_the_sets_range(self, admin_client):
        membership = factories.MembershipFactory(availability_set__update_domain_count=5)
        data = {
            "virtual_machine": membership.virtual_machine_id,
            "availability_set": membership.availability_set_id,
            "fault_domain": 0,
            "update_domain": 7,
        }
        response = admin_client.post(admin_url(Membership, "change", membership.pk), data)
        assert "This set has update domains 0 to 4." in response.content.decode()
        membership.refresh_from_db()
        assert membership.update_domain == 0

    def test_accepts_a_valid_membership(self, admin_client):
        availability_set = factories.AvailabilitySetFactory()
        vm = factories.VirtualMachineFactory(cloud_service=availability_set.cloud_service)
        response = self.post_membership(admin_client, vm, availability_set, fault_domain=1, update_domain=4)
        assert response.status_code == 302
        assert Membership.objects.get(virtual_machine=vm).availability_set == availability_set


class TestAvailabilitySetAdmin:
    def test_member_choices_are_the_sets_own_cloud_service_vms(self, admin_client):
        membership = factories.MembershipFactory()
        outsider = factories.VirtualMachineFactory(name="outsider")
        response = admin_client.get(admin_url(AvailabilitySet, "change", membership.availability_set_id))
        choices = response.context["inline_admin_formsets"][0].formset.form.base_fields["virtual_machine"].queryset
        assert membership.virtual_machine in choices and outsider not in choices

    def test_refuses_fewer_domains_than_its_members_use(self, admin_client):
        membership = factories.MembershipFactory(fault_domain=1, update_domain=3)
        url = admin_url(AvailabilitySet, "change", membership.availability_set_id)
        data = form_data(admin_client.get(url))
        data.update(fault_domain_count="1", update_domain_count="3")
        response = admin_client.post(url, data)
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors
        assert "the set needs at least 2" in str(errors["fault_domain_count"])
        assert "the set needs at least 4" in str(errors["update_domain_count"])

    def test_refuses_more_fault_domains_than_the_platform_has(self, admin_client):
        availability_set = factories.AvailabilitySetFactory()
        url = admin_url(AvailabilitySet, "change", availability_set.pk)
        data = form_data(admin_client.get(url))
        data.update(fault_domain_count="4")
        response = admin_client.post(url, data)
        assert "fault_domain_count" in response.context["adminform"].form.errors
        availability_set.refresh_from_db()
        assert availability_set.fault_domain_count == 2

    def test_refuses_a_name_in_use_in_the_cloud_service(self, admin_client):
        existing = factories.AvailabilitySetFactory(name="webset")
        response = admin_client.post(
            admin_url(AvailabilitySet, "add"),
            {
                "cloud_service": existing.cloud_service_id,
                "name": "WebSet",
                "fault_domain_count": 2,
                "update_domain_count": 5,
            },
        )
        assert response.status_code == 200
        assert "already has an availability set named WebSet" in str(response.context["adminform"].form.errors)
        assert AvailabilitySet.objects.count() == 1

    def test_staff_see_each_sets_balance_and_the_moves_that_would_restore_it(self, admin_client):
        lopsided = factories.AvailabilitySetFactory(name="lopsided")
        for name, update_domain in (("web2", 1), ("web4", 3)):
            factories.MembershipFactory(
                availability_set=lopsided, virtual_machine__name=name, fault_domain=1, update_domain=update_domain
            )
        even = factories.MembershipFactory(fault_domain=0, update_domain=0).availability_set
        changelist = admin_client.get(admin_url(AvailabilitySet, "changelist"))
        balance = {
            row.name: changelist.context["cl"].model_admin.in_balance(row)
            for row in changelist.context["cl"].result_list
        }
        assert balance == {"lopsided": False, even.name: True}
        assert "In balance" in changelist.content.decode()
        html = admin_client.get(admin_url(AvailabilitySet, "change", lopsided.pk)).content.decode()
        assert "Out of balance. Rebalance (on the set&#x27;s page) would move web4 from FD 1/UD 3 to FD 0/UD 0." in html
        html = admin_client.get(admin_url(AvailabilitySet, "change", even.pk)).content.decode()
        assert "In balance: no fault or update domain holds two more members than another." in html

    def test_changelist_queries_do_not_grow_with_sets(self, admin_client):
        counts = []
        for sets in (2, 12):
            for _ in range(sets - len(counts) * 2):
                factories.MembershipFactory()
            with CaptureQueriesContext(connection) as queries:
                admin_client.get(admin_url(AvailabilitySet, "changelist"))
            counts.append(len(queries))
        assert counts[0] == counts[1]

    def test_inline_membership_out_of_range_is_a_form_error(self, admin_client):
        membership = factories.MembershipFactory()
        url = admin_url(AvailabilitySet, "change", membership.availability_set_id)
        data = form_data(admin_client.get(url))
        data["memberships-0-fault_domain"] = "2"
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert "This set has fault domains 0 to 1." in response.content.decode()


class TestCloudServiceAdmin:
    def test_two_new_sets_whose_names_differ_in_case_are_refused(self, admin_client):
        service = factories.CloudServiceFactory()
        url = admin_url(CloudService, "change", service.pk)
        data = form_data(admin_client.get(url))
        prefix = "availability_sets"
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "2",
                f"{prefix}-0-name": "webset",
                f"{prefix}-0-fault_domain_count": "2",
                f"{prefix}-0-update_domain_count": "5",
                f"{prefix}-1-name": "WEBSET",
                f"{prefix}-1-fault_domain_count": "2",
                f"{prefix}-1-update_domain_count": "5",
            }
        )
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert "Another set here has this name." in response.content.decode()
        assert not AvailabilitySet.objects.exists()

    def test_shows_its_vms_and_sets(self, admin_client):
        membership = factories.MembershipFactory(virtual_machine__name="web1", availability_set__name="webset")
        html = admin_client.get(admin_url(CloudService, "change", membership.virtual_machine.cloud_service_id))
        assert "web1" in html.content.decode() and 'value="webset"' in html.content.decode()

    @pytest.mark.parametrize(
        ("name", "message"),
        [("Contoso_Web", "3 through 24 lowercase letters and numbers"), ("takenname", "already exists")],
    )
    def test_dns_name_rules(self, admin_client, name, message):
        taken = factories.CloudServiceFactory(name="takenname")
        response = admin_client.post(
            admin_url(CloudService, "add"),
            {
                "subscription": taken.subscription_id,
                "name": name,
                "region": factories.region().pk,
                "availability_sets-TOTAL_FORMS": "0",
                "availability_sets-INITIAL_FORMS": "0",
                "virtual_machines-TOTAL_FORMS": "0",
                "virtual_machines-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 200
        assert message in str(response.context["adminform"].form.errors["name"])
        assert CloudService.objects.count() == 1


class TestVirtualMachineAdmin:
    def test_never_shows_or_accepts_a_password(self, admin_client):
        vm = factories.VirtualMachineFactory()
        url = admin_url(VirtualMachine, "change", vm.pk)
        response = admin_client.get(url)
        form = response.context["adminform"].form
        assert "password_hash" not in form.fields and not any("password" in name for name in form.fields)
        assert 'name="password_hash"' not in response.content.decode()
        data = form_data(response)
        data["password_hash"] = make_password("Other!2013x")
        data["admin_password"] = "Other!2013x"
        assert admin_client.post(url, data).status_code == 302
        assert VirtualMachine.objects.get(pk=vm.pk).password_hash == vm.password_hash

    def test_cannot_be_added_outside_the_wizard(self, admin_client):
        assert admin_client.get(admin_url(VirtualMachine, "add")).status_code == 403

    def test_refuses_a_name_in_use_in_its_cloud_service(self, admin_client):
        vm = factories.VirtualMachineFactory(name="web1")
        factories.VirtualMachineFactory(cloud_service=vm.cloud_service, name="web2")
        url = admin_url(VirtualMachine, "change", vm.pk)
        data = form_data(admin_client.get(url))
        data["name"] = "WEB2"
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert "already has a virtual machine named WEB2" in str(response.context["adminform"].form.errors["name"])

    def test_refuses_a_size_beyond_the_core_quota(self, admin_client):
        vm = factories.VirtualMachineFactory(cloud_service__subscription__core_quota=2)
        url = admin_url(VirtualMachine, "change", vm.pk)
        data = form_data(admin_client.get(url))
        data["size"] = str(factories.size("Large").pk)
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert "needs 4 cores" in str(response.context["adminform"].form.errors["size"])

    def test_storage_choices_are_in_the_cloud_services_region_and_subscription(self, admin_client):
        vm = factories.VirtualMachineFactory()
        elsewhere = factories.StorageAccountFactory(
            subscription=vm.cloud_service.subscription, region=factories.region("East US")
        )
        foreign = factories.StorageAccountFactory()
        response = admin_client.get(admin_url(VirtualMachine, "change", vm.pk))
        choices = response.context["adminform"].form.fields["storage_account"].queryset
        assert vm.storage_account in choices and elsewhere not in choices and foreign not in choices


class TestStorageAccountAdmin:
    def test_second_generated_account_in_a_region_is_a_form_error(self, admin_client):
        first = factories.StorageAccountFactory(automatically_generated=True)
        response = admin_client.post(
            admin_url(StorageAccount, "add"),
            {
                "subscription": first.subscription_id,
                "name": "secondgen",
                "region": first.region_id,
                "automatically_generated": "on",
            },
        )
        assert response.status_code == 200
        assert response.context["adminform"].form.non_field_errors()
        assert StorageAccount.objects.count() == 1

    def test_marking_an_account_generated_checks_the_read_only_region_too(self, admin_client):
        first = factories.StorageAccountFactory(automatically_generated=True)
        second = factories.StorageAccountFactory(subscription=first.subscription, region=first.region)
        url = admin_url(StorageAccount, "change", second.pk)
        data = form_data(admin_client.get(url))
        data["automatically_generated"] = "on"
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert response.context["adminform"].form.non_field_errors()
        second.refresh_from_db()
        assert not second.automatically_generated

    def test_bad_name_is_a_field_error(self, admin_client):
        subscription = factories.SubscriptionFactory()
        response = admin_client.post(
            admin_url(StorageAccount, "add"),
            {"subscription": subscription.pk, "name": "Bad_Name", "region": factories.region().pk},
        )
        assert "lowercase letters and numbers" in str(response.context["adminform"].form.errors["name"])


class TestOperationAdmin:
    def test_is_read_only(self, admin_client):
        operation = factories.OperationFactory()
        url = admin_url(Operation, "change", operation.pk)
        response = admin_client.get(url)
        assert response.status_code == 200 and 'name="_save"' not in response.content.decode()
        assert admin_client.post(url, {"title": "Changed"}).status_code == 403
        operation.refresh_from_db()
        assert operation.title != "Changed"
