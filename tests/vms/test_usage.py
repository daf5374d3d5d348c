"""A subscription's usage counters: every change that moves them moves them, and check_usage finds any drift."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from console.services import virtual_machine_configure
from portal.models import Subscription
from tests import factories
from tests.helpers.races import at_once
from vms.models import CloudService, StorageAccount, VirtualMachine
from vms.services.machines import vm_create, vm_delete
from vms.services.storage import storage_account_create
from vms.services.usage import subscription_usage_counted, subscription_usage_recount

pytestmark = pytest.mark.django_db


def usage(subscription: Subscription) -> dict[str, int]:
    subscription = Subscription.objects.get(pk=subscription.pk)
    return {
        "cores_in_use": subscription.cores_in_use,
        "virtual_machines_in_use": subscription.virtual_machines_in_use,
        "cloud_services_in_use": subscription.cloud_services_in_use,
        "storage_accounts_in_use": subscription.storage_accounts_in_use,
    }


def assert_no_drift(subscription: Subscription) -> None:
    assert usage(subscription) == subscription_usage_counted(subscription)


@pytest.fixture
def carried_out(django_capture_on_commit_callbacks):
    """Run the worker's part (queued on commit) at once, as the worker would after the request."""

    def run(function, **arguments):
        with django_capture_on_commit_callbacks(execute=True):
            return function(**arguments)

    return run


class TestCountersMove:
    def test_a_stand_alone_deploy_counts_its_cores_vm_cloud_service_and_generated_storage(self, user, subscription):
        factories.deploy(user, subscription, size=factories.size("Medium"))
        assert usage(subscription) == {
            "cores_in_use": 2,
            "virtual_machines_in_use": 1,
            "cloud_services_in_use": 1,
            "storage_accounts_in_use": 1,
        }
        assert_no_drift(subscription)

    def test_connecting_a_second_vm_counts_only_the_vm_and_its_cores(self, user, subscription):
        first = factories.deploy(user, subscription).virtual_machine
        factories.deploy(user, subscription, name="web2", dns_name="", region=None, cloud_service=first.cloud_service)
        assert usage(subscription)["cores_in_use"] == 2
        assert usage(subscription)["virtual_machines_in_use"] == 2
        assert usage(subscription)["cloud_services_in_use"] == 1
        assert_no_drift(subscription)

    def test_a_resize_moves_the_cores_by_the_difference(self, user, subscription, carried_out):
        vm = carried_out(factories.deploy, user=user, subscription=subscription).virtual_machine
        carried_out(
            virtual_machine_configure, vm=VirtualMachine.objects.get(pk=vm.pk), user=user, size=factories.size("Large")
        )
        assert usage(subscription)["cores_in_use"] == 4
        virtual_machine_configure(vm=VirtualMachine.objects.get(pk=vm.pk), user=user, size=factories.size("ExtraSmall"))
        assert usage(subscription)["cores_in_use"] == 1
        assert_no_drift(subscription)

    def test_a_finished_delete_gives_back_the_vm_and_with_its_cloud_service_that_too(
        self, user, subscription, carried_out
    ):
        vm = carried_out(factories.deploy, user=user, subscription=subscription).virtual_machine
        carried_out(vm_delete, vm=VirtualMachine.objects.get(pk=vm.pk), user=user, delete_cloud_service=True)
        assert not VirtualMachine.objects.exists()
        assert usage(subscription) == {
            "cores_in_use": 0,
            "virtual_machines_in_use": 0,
            "cloud_services_in_use": 0,
            "storage_accounts_in_use": 1,
        }
        assert_no_drift(subscription)

    def test_a_failed_create_gives_back_what_it_took(self, user, subscription, settings, carried_out):
        settings.FABRIC_FAILURE_RATE = 1
        carried_out(factories.deploy, user=user, subscription=subscription)
        assert not VirtualMachine.objects.exists()
        assert not CloudService.objects.exists()
        assert usage(subscription)["cores_in_use"] == 0
        assert usage(subscription)["virtual_machines_in_use"] == 0
        assert usage(subscription)["cloud_services_in_use"] == 0
        assert_no_drift(subscription)

    def test_a_named_storage_account_is_counted(self, subscription):
        storage_account_create(subscription=subscription, name="mystore1", region=factories.region())
        assert usage(subscription)["storage_accounts_in_use"] == 1
        assert_no_drift(subscription)

    def test_the_core_quota_reads_the_counter_not_the_rows(self, user, subscription):
        Subscription.objects.filter(pk=subscription.pk).update(cores_in_use=subscription.core_quota)
        with pytest.raises(Exception) as refused:
            factories.deploy(user, subscription)
        assert refused.value.error_dict["size"][0].code == "core_quota"


class TestStaffEdits:
    def test_a_size_changed_in_the_admin_is_counted(self, admin_client, user, subscription):
        vm = factories.deploy(user, subscription).virtual_machine
        vm.refresh_from_db()
        response = admin_client.post(
            reverse("admin:vms_virtualmachine_change", args=[vm.pk]),
            {
                "name": vm.name,
                "size": factories.size("Large").pk,
                "storage_account": vm.storage_account_id,
                "subnet": "",
                "admin_username": vm.admin_username,
                "membership-TOTAL_FORMS": "0",
                "membership-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        assert usage(subscription)["cores_in_use"] == 4
        assert_no_drift(subscription)

    def test_a_cloud_service_deleted_in_the_admin_takes_its_vms_out_of_the_counts(
        self, admin_client, user, subscription
    ):
        vm = factories.deploy(user, subscription).virtual_machine
        response = admin_client.post(
            reverse("admin:vms_cloudservice_delete", args=[vm.cloud_service_id]), {"post": "yes"}
        )
        assert response.status_code == 302
        assert usage(subscription)["virtual_machines_in_use"] == 0
        assert usage(subscription)["cloud_services_in_use"] == 0
        assert_no_drift(subscription)

    def test_storage_accounts_deleted_from_the_admin_list_are_counted(self, admin_client, subscription):
        accounts = factories.StorageAccountFactory.create_batch(2, subscription=subscription)
        response = admin_client.post(
            reverse("admin:vms_storageaccount_changelist"),
            {"action": "delete_selected", "_selected_action": [a.pk for a in accounts], "post": "yes"},
        )
        assert response.status_code == 302
        assert not StorageAccount.objects.exists()
        assert usage(subscription)["storage_accounts_in_use"] == 0


class TestCheckUsageCommand:
    def test_says_all_is_well_when_nothing_drifted(self, user, subscription, capsys):
        factories.deploy(user, subscription)
        call_command("check_usage")
        assert "match" in capsys.readouterr().out

    def test_reports_drift_and_exits_1(self, user, subscription, capsys):
        factories.deploy(user, subscription)
        Subscription.objects.filter(pk=subscription.pk).update(cores_in_use=7, cloud_services_in_use=0)
        with pytest.raises(CommandError) as failed:
            call_command("check_usage")
        assert failed.value.returncode == 1
        out = capsys.readouterr().out
        assert "cores_in_use kept 7, counted 1: drifted" in out
        assert "cloud_services_in_use kept 0, counted 1: drifted" in out
        assert usage(subscription)["cores_in_use"] == 7

    def test_fix_sets_the_counters_right(self, user, subscription, capsys):
        factories.deploy(user, subscription)
        Subscription.objects.filter(pk=subscription.pk).update(virtual_machines_in_use=5)
        call_command("check_usage", "--fix")
        assert "virtual_machines_in_use kept 5, counted 1: fixed" in capsys.readouterr().out
        assert_no_drift(subscription)
        call_command("check_usage")

    def test_recount_reports_what_drifted(self, subscription):
        Subscription.objects.filter(pk=subscription.pk).update(storage_accounts_in_use=3)
        assert subscription_usage_recount(subscription=subscription, fix=False) == {"storage_accounts_in_use": (3, 0)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_deploys_resizes_and_deletes_racing_leave_no_drift():
    person = factories.UserFactory()
    subscription = factories.SubscriptionFactory(members=[person], core_quota=200)
    first = factories.deploy(person, subscription).virtual_machine
    service = first.cloud_service
    existing = [first] + [
        factories.deploy(
            person, subscription, name=f"old{index}", dns_name="", region=None, cloud_service=service
        ).virtual_machine
        for index in range(7)
    ]
    sizes = [factories.size("Medium"), factories.size("Large")]

    def work(index: int) -> object:
        if index < 6:
            return factories.deploy(
                person, subscription, name=f"new{index}", dns_name="", region=None, cloud_service=service
            )
        vm = VirtualMachine.objects.get(pk=existing[index - 6].pk)
        if index < 10:
            return virtual_machine_configure(vm=vm, user=person, size=sizes[index % 2])
        return vm_delete(vm=vm, user=person)

    results = at_once(14, work)

    assert not [result for result in results if isinstance(result, Exception)], results
    assert VirtualMachine.objects.count() == 8 + 6 - 4
    assert_no_drift(subscription)
    call_command("check_usage")


@pytest.mark.postgres
def test_vm_create_takes_the_subscriptions_lock_before_its_quota_checks(subscription):
    """vm_create guards its core quota and capacity checks with the subscription's row lock, whoever calls it."""
    cloud_service = factories.CloudServiceFactory(subscription=subscription)
    storage_account = factories.StorageAccountFactory(subscription=subscription)

    with CaptureQueriesContext(connection) as queries:
        vm_create(
            cloud_service=cloud_service,
            name="web1",
            image_version=factories.image_version(),
            size=factories.size(),
            storage_account=storage_account,
            admin_username="azureuser",
            admin_password=factories.STRONG_PASSWORD,
        )

    locks = [sql for sql in (query["sql"] for query in queries) if "FOR UPDATE" in sql and "portal_subscription" in sql]
    assert locks, "vm_create ran its checks without locking the subscription's row"
