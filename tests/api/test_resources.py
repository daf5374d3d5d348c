"""The catalog, networks, storage, cloud services, availability sets and operations through the API."""

from __future__ import annotations

import pytest

from availability.models import AvailabilitySet
from tests import factories
from vms.models import AffinityGroup, CloudService, Region, RoleSize, StorageAccount, VirtualNetwork

pytestmark = pytest.mark.django_db


class TestCatalog:
    def test_regions_and_sizes(self, api):
        assert [r["name"] for r in api.get("regions", limit=100).json()["items"]] == list(
            Region.objects.order_by("pk").values_list("name", flat=True)
        )
        small = next(s for s in api.get("sizes").json()["items"] if s["name"] == "Small")
        assert (small["label"], small["cores"], small["memory_mb"]) == ("A1", 1, 1792)
        assert RoleSize.objects.count() == len(api.get("sizes", limit=100).json()["items"])

    def test_images_with_versions_newest_first(self, api):
        images = api.get("images", limit=100).json()["items"]
        assert images and all(image["versions"] for image in images)
        for image in images:
            dates = [version["release_date"] for version in image["versions"]]
            assert dates == sorted(dates, reverse=True)
        one = api.get(f"images/{images[0]['id']}").json()
        assert one == images[0]


class TestNetworks:
    def test_affinity_group_create_and_read(self, api, subscription):
        response = api.post("affinity-groups", {"name": "east", "region": "East US"})
        assert response.status_code == 201
        group = AffinityGroup.objects.get(subscription=subscription)
        assert response["Location"] == f"/api/v1/affinity-groups/{group.pk}"
        assert api.get(response["Location"]).json() == response.json()
        assert response.json()["region"] == "East US"

    def test_affinity_group_region_must_exist(self, api):
        response = api.post("affinity-groups", {"name": "east", "region": "Mars"})
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "region": ["Select a valid choice. That choice is not one of the available choices."]
        }

    def test_virtual_network_with_the_forms_address_rules(self, api, subscription):
        group = factories.AffinityGroupFactory(subscription=subscription)
        response = api.post(
            "virtual-networks",
            {
                "name": "vnet1",
                "affinity_group": group.pk,
                "address_space": "10.1.0.0/16",
                "subnet_address_prefix": "10.2.0.0/24",
            },
        )
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "subnet_address_prefix": ["The subnet must lie inside the address space 10.1.0.0/16."]
        }
        response = api.post(
            "virtual-networks",
            {
                "name": "vnet1",
                "affinity_group": group.pk,
                "address_space": "10.1.0.0/16",
                "subnet_address_prefix": "10.1.2.0/24",
            },
        )
        assert response.status_code == 201
        body = response.json()
        assert body["subnets"] == [
            {"id": body["subnets"][0]["id"], "name": "Subnet-1", "address_prefix": "10.1.2.0/24"}
        ]
        assert VirtualNetwork.objects.get().affinity_group == group

    def test_storage_account_create_and_its_name_rules(self, api):
        response = api.post("storage-accounts", {"name": "Bad_Name", "region": "West US"})
        assert response.status_code == 400 and list(response.json()["fields"]) == ["name"]
        assert api.post("storage-accounts", {"name": "contosodata", "region": "West US"}).status_code == 201
        taken = api.post("storage-accounts", {"name": "contosodata", "region": "West US"})
        assert taken.status_code == 409
        assert StorageAccount.objects.count() == 1

    def test_cloud_service_create_in_an_affinity_group(self, api, subscription):
        group = factories.AffinityGroupFactory(subscription=subscription, region=factories.region("North Europe"))
        response = api.post("cloud-services", {"dns_name": "contosoapp", "affinity_group": group.pk})
        assert response.status_code == 201
        assert (response.json()["region"], response.json()["dns_name"]) == ("North Europe", "contosoapp.cloudapp.net")
        taken = api.post("cloud-services", {"dns_name": "contosoapp", "region": "West US"})
        assert taken.status_code == 409 and taken.json()["code"] == "dns_name_taken"

    def test_cloud_service_needs_exactly_one_location(self, api, subscription):
        group = factories.AffinityGroupFactory(subscription=subscription)
        response = api.post(
            "cloud-services", {"dns_name": "contosoapp", "affinity_group": group.pk, "region": "West US"}
        )
        assert set(response.json()["fields"]) == {"region", "affinity_group"}
        assert api.post("cloud-services", {"dns_name": "contosoapp"}).json()["fields"] == {
            "region": ["Choose one region, affinity group or virtual network."]
        }
        assert not CloudService.objects.exists()


class TestAvailabilitySets:
    def test_create_read_and_delete(self, api, subscription):
        service = factories.CloudServiceFactory(subscription=subscription)
        response = api.post("availability-sets", {"cloud_service": service.pk, "name": "webset"})
        assert response.status_code == 201
        body = response.json()
        assert (body["member_count"], body["eligible_for_sla"], body["in_compliance"]) == (0, False, True)
        assert (body["fault_domain_count"], body["update_domain_count"]) == (2, 5)
        taken = api.post("availability-sets", {"cloud_service": service.pk, "name": "WebSet"})
        assert taken.status_code == 409
        assert taken.json()["fields"] == {
            "name": [f"The cloud service {service.name} already has an availability set named WebSet."]
        }
        assert api.delete(response["Location"]).status_code == 204
        assert not AvailabilitySet.objects.exists()

    def test_members_with_their_domains_and_the_service_level(self, api, subscription):
        availability_set = factories.AvailabilitySetFactory(cloud_service__subscription=subscription)
        for fault_domain, update_domain in ((0, 0), (1, 1), (0, 2)):
            factories.MembershipFactory(
                availability_set=availability_set, fault_domain=fault_domain, update_domain=update_domain
            )
        body = api.get(f"availability-sets/{availability_set.pk}").json()
        assert [(m["fault_domain"], m["update_domain"]) for m in body["members"]] == [(0, 0), (0, 2), (1, 1)]
        assert (body["member_count"], body["eligible_for_sla"], body["in_compliance"]) == (3, True, True)

    def test_a_lopsided_set_is_out_of_compliance(self, api, subscription):
        availability_set = factories.AvailabilitySetFactory(cloud_service__subscription=subscription)
        factories.MembershipFactory.create_batch(3, availability_set=availability_set, fault_domain=0, update_domain=0)
        body = api.get(f"availability-sets/{availability_set.pk}").json()
        assert body["eligible_for_sla"] and not body["in_compliance"]

    def test_a_set_with_members_cannot_be_deleted(self, api, subscription):
        membership = factories.MembershipFactory(availability_set__cloud_service__subscription=subscription)
        response = api.delete(f"availability-sets/{membership.availability_set_id}")
        assert response.status_code == 409
        assert response.json()["code"] == "set_not_empty"


class TestOperations:
    def test_the_activity_log_newest_first_within_a_page(self, api, subscription):
        vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
        done = factories.OperationFactory.create_batch(2, virtual_machine=vm, status="failed", message="Broke.")
        running = factories.OperationFactory(virtual_machine=vm)
        items = api.get("operations").json()["items"]
        assert [item["id"] for item in items] == [op.pk for op in [*done, running]]
        assert [item["status"] for item in items] == ["Failed", "Failed", "InProgress"]
        assert [item["error"] for item in items] == ["Broke.", "Broke.", None]
