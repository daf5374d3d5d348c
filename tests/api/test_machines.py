"""Virtual machines through the API: the wizard's rules and messages, operations to poll, commands and their states."""

from __future__ import annotations

import pytest

from availability.models import AvailabilitySet
from fabric.models import Host
from tests import factories
from tests.factories import STRONG_PASSWORD, certificate_pem, image_version
from tests.helpers.api import ApiClient
from vms.models import CloudService, Operation, VirtualMachine

pytestmark = pytest.mark.django_db

UBUNTU = "Ubuntu Server 12.04 LTS"


def vm_body(**overrides) -> dict:
    return {
        "image": image_version().image_id,
        "name": "web1",
        "admin_username": "portaladmin",
        "admin_password": STRONG_PASSWORD,
        "size": "Small",
        "dns_name": "contosoweb",
        "region": "West US",
    } | overrides


def create(api, **overrides):
    return api.post("virtual-machines", vm_body(**overrides))


class TestCreate:
    def test_accepted_with_the_operation_to_poll(self, api):
        response = create(api)
        assert response.status_code == 202
        body = response.json()
        operation = Operation.objects.get()
        assert body["operation"]["id"] == operation.pk and body["operation"]["kind"] == "create"
        assert response["Location"] == f"/api/v1/operations/{operation.pk}"
        polled = api.get(response["Location"]).json()
        assert polled["status"] == "Succeeded" and polled["error"] is None
        vm = api.get(f"virtual-machines/{body['virtual_machine']}").json()
        assert (vm["status"], vm["status_display"], vm["dns_name"]) == ("running", "Running", "contosoweb.cloudapp.net")
        assert vm["availability_set"] is None

    def test_while_provisioning_the_operation_is_in_progress(self, raw_token):
        api = ApiClient(raw_token)  # no worker runs: the request's transaction never hands it over
        response = create(api)
        assert api.get(response["Location"]).json()["status"] == "InProgress"
        vm = api.get(f"virtual-machines/{response.json()['virtual_machine']}").json()
        assert (vm["status"], vm["status_display"]) == ("provisioning", "Starting (Provisioning)")

    def test_a_failed_operation_reports_why(self, api, settings):
        settings.FABRIC_FAILURE_RATE = 1
        response = create(api)
        operation = api.get(response["Location"]).json()
        assert operation["status"] == "Failed"
        assert "could not allocate" in operation["error"]
        assert not VirtualMachine.objects.exists()

    def test_the_services_messages_are_beside_the_fields(self, api):
        response = create(api, name="-bad-", admin_username="admin", admin_password="short")
        body = response.json()
        assert response.status_code == 400
        assert set(body["fields"]) == {"name", "admin_username", "admin_password"}
        assert body["fields"]["admin_username"] == ["The user name admin is reserved; choose another."]
        assert not CloudService.objects.exists()

    def test_a_taken_dns_name_is_409(self, api):
        create(api)
        response = create(api, name="web2")
        assert response.status_code == 409
        assert response.json()["fields"] == {
            "dns_name": ["contosoweb.cloudapp.net is already taken. Choose another DNS name."]
        }

    def test_a_taken_vm_name_in_the_cloud_service_is_409(self, api):
        first = create(api).json()["virtual_machine"]
        service = VirtualMachine.objects.get(pk=first).cloud_service_id
        response = create(api, dns_name="", region=None, cloud_service=service)
        assert response.status_code == 409
        assert response.json()["code"] == "vm_name_taken"

    def test_core_quota_speaks_on_the_size(self, api, subscription):
        subscription.core_quota = 1
        subscription.save()
        response = create(api, size="Medium")
        assert response.status_code == 400
        assert "cores" in response.json()["fields"]["size"][0]

    def test_no_room_on_the_regions_hosts_speaks_on_the_size(self, api):
        Host.objects.filter(rack__region__name="West US").update(cores=1)
        response = create(api, size="Medium")
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "size": ["No rack in West US has a host with 2 free cores for a Medium virtual machine"]
        }
        assert not VirtualMachine.objects.exists()

    def test_a_stand_alone_vm_needs_a_dns_name_and_a_location(self, api):
        response = create(api, dns_name="", region=None)
        assert response.json()["fields"] == {"dns_name": ["Enter a DNS name for the new cloud service."]}
        response = create(api, region=None)
        assert response.json()["fields"] == {"region": ["Choose a region, affinity group or virtual network."]}

    def test_either_a_new_cloud_service_or_an_existing_one(self, api):
        service = factories.CloudServiceFactory()
        response = create(api, cloud_service=service.pk)
        assert response.status_code == 400 and "cloud_service" in response.json()["fields"]

    def test_unknown_choices_read_like_the_portals_invalid_choice(self, api):
        response = create(api, size="Huge", region="Mars", image=999999)
        fields = response.json()["fields"]
        message = "Select a valid choice. That choice is not one of the available choices."
        assert fields == {"size": [message], "region": [message], "image": [message]}

    def test_linux_with_an_ssh_certificate_only(self, api):
        ubuntu = image_version(UBUNTU)
        response = create(
            api, image=ubuntu.image_id, admin_password="", ssh_certificate=certificate_pem().decode(), name="lin1"
        )
        assert response.status_code == 202
        vm = VirtualMachine.objects.get()
        assert vm.ssh_certificate_thumbprint and not vm.password_hash

    def test_a_bad_certificate_is_refused_beside_its_field(self, api):
        response = create(api, image=image_version(UBUNTU).image_id, admin_password="", ssh_certificate="nope")
        assert list(response.json()["fields"]) == ["ssh_certificate"]

    def test_a_windows_vm_takes_no_ssh_certificate(self, api):
        response = create(api, ssh_certificate=certificate_pem().decode())
        assert list(response.json()["fields"]) == ["ssh_certificate"]

    def test_an_image_version_of_another_image_is_refused(self, api):
        response = create(api, image_version=image_version(UBUNTU).pk)
        assert list(response.json()["fields"]) == ["image_version"]

    def test_unknown_fields_and_wrong_types_are_400(self, api):
        response = create(api, availabilty_set_name="typo")
        assert response.status_code == 400 and "availabilty_set_name" in response.json()["fields"]
        response = api.post("virtual-machines", ["not", "an", "object"])
        assert response.status_code == 400

    def test_create_with_a_new_set_then_join_it(self, api):
        first = create(api, availability_set_name="webset").json()["virtual_machine"]
        service = VirtualMachine.objects.get(pk=first).cloud_service_id
        web_set = AvailabilitySet.objects.get(name="webset")
        second = create(api, name="web2", dns_name="", region=None, cloud_service=service, availability_set=web_set.pk)
        assert second.status_code == 202
        placement = api.get(f"virtual-machines/{second.json()['virtual_machine']}").json()["availability_set"]
        assert placement == {"id": web_set.pk, "name": "webset", "fault_domain": 1, "update_domain": 1}

    def test_a_set_of_another_cloud_service_is_refused(self, api):
        create(api, availability_set_name="webset")
        other = create(api, name="web2", dns_name="other", availability_set=AvailabilitySet.objects.get().pk)
        assert other.status_code == 400
        assert "availability_set" in other.json()["fields"]


@pytest.fixture
def running(user, subscription, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        operation = factories.deploy(user, subscription, availability_set_name="webset")
    return VirtualMachine.objects.get(pk=operation.virtual_machine_id)


class TestCommands:
    def test_shut_down_start_restart(self, api, running):
        for command, status in (("shutdown", "stopped"), ("start", "running"), ("restart", "running")):
            response = api.post(f"virtual-machines/{running.pk}/{command}")
            assert response.status_code == 202, response.json()
            assert api.get(response["Location"]).json()["status"] == "Succeeded"
            assert api.get(f"virtual-machines/{running.pk}").json()["status"] == status

    def test_a_command_the_state_forbids_is_409_in_the_portals_words(self, api, running):
        response = api.post(f"virtual-machines/{running.pk}/start")
        assert response.status_code == 409
        assert response.json() == {
            "code": "wrong_state",
            "message": "web1 is Running; start is not possible now.",
            "fields": {},
        }

    def test_a_busy_vm_is_409(self, raw_token, running):
        api = ApiClient(raw_token)  # the restart stays in progress
        assert api.post(f"virtual-machines/{running.pk}/restart").status_code == 202
        response = api.post(f"virtual-machines/{running.pk}/shutdown")
        assert response.status_code == 409
        assert response.json()["code"] == "busy"
        assert "still in progress" in response.json()["message"]

    def test_delete_with_its_cloud_service(self, api, running):
        response = api.delete(f"virtual-machines/{running.pk}?delete_cloud_service=true")
        assert response.status_code == 202
        assert api.get(response["Location"]).json()["status"] == "Succeeded"
        assert api.get(f"virtual-machines/{running.pk}").status_code == 404
        assert not CloudService.objects.exists()

    def test_delete_keeps_the_cloud_service_unless_asked(self, api, running):
        api.delete(f"virtual-machines/{running.pk}")
        assert CloudService.objects.count() == 1


class TestConfigure:
    def test_resize(self, api, running):
        response = api.post(f"virtual-machines/{running.pk}/configure", {"size": "Medium"})
        assert response.status_code == 202
        assert api.get(response["Location"]).json()["status"] == "Succeeded"
        vm = api.get(f"virtual-machines/{running.pk}").json()
        assert vm["size"] == "Medium"
        assert vm["availability_set"]["name"] == "webset", "a field left out keeps its value"

    def test_leave_the_set(self, api, running):
        response = api.post(f"virtual-machines/{running.pk}/configure", {"availability_set": None})
        assert response.status_code == 202
        assert api.get(f"virtual-machines/{running.pk}").json()["availability_set"] is None

    def test_nothing_to_change_is_200_with_the_vm(self, api, running):
        response = api.post(f"virtual-machines/{running.pk}/configure", {"size": "Small"})
        assert response.status_code == 200
        assert response.json()["id"] == running.pk
        assert not Operation.objects.filter(kind=Operation.Kind.CONFIGURE).exists()

    def test_a_taken_set_name_is_409(self, api, running):
        response = api.post(f"virtual-machines/{running.pk}/configure", {"availability_set_name": "WEBSET"})
        assert response.status_code == 409
        assert response.json()["code"] == "set_name_taken"
        assert "availability_set_name" in response.json()["fields"]

    def test_a_set_of_another_cloud_service_is_refused(self, api, running, user, subscription):
        other = factories.AvailabilitySetFactory(cloud_service__subscription=subscription)
        response = api.post(f"virtual-machines/{running.pk}/configure", {"availability_set": other.pk})
        assert response.status_code == 400
        assert response.json()["fields"]["availability_set"] == [
            "A virtual machine can join only an availability set of its own cloud service."
        ]

    def test_a_vm_being_deleted_cannot_be_configured(self, api, running):
        running.status = VirtualMachine.Status.DELETING
        running.save()
        response = api.post(f"virtual-machines/{running.pk}/configure", {"size": "Medium"})
        assert response.status_code == 409 and response.json()["code"] == "wrong_state"
