"""Endpoints and load-balanced sets through the API: the Endpoints tab's rules, with the portal's messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from endpoints.models import Endpoint, LoadBalancedSet
from tests import factories

pytestmark = pytest.mark.django_db

HTTP = {"name": "HTTP", "protocol": "tcp", "public_port": 80, "private_port": 80}


@pytest.fixture
def service(subscription):
    return factories.CloudServiceFactory(subscription=subscription)


@pytest.fixture
def web1(service):
    return factories.VirtualMachineFactory(cloud_service=service, name="web1")


@pytest.fixture
def web2(service):
    return factories.VirtualMachineFactory(cloud_service=service, name="web2")


def with_set(api, vm, **overrides) -> dict:
    body = HTTP | {"load_balanced_set_name": "web", "probe_protocol": "http", "probe_path": "/"} | overrides
    response = api.post(f"virtual-machines/{vm.pk}/endpoints", body)
    assert response.status_code == 201, response.content
    return response.json()


class TestEndpoints:
    def test_a_stand_alone_endpoint_is_created_and_read_back(self, api, web1):
        response = api.post(f"virtual-machines/{web1.pk}/endpoints", HTTP)
        assert response.status_code == 201
        endpoint = Endpoint.objects.get(virtual_machine=web1)
        assert response["Location"] == f"/api/v1/endpoints/{endpoint.pk}"
        body = response.json()
        assert (body["name"], body["public_port"], body["private_port"]) == ("HTTP", 80, 80)
        assert body["load_balanced_set"] is None and body["in_rotation"] is False
        assert api.get(response["Location"]).json() == body
        assert api.get(f"virtual-machines/{web1.pk}/endpoints").json() == {"items": [body], "next_cursor": None}

    def test_taken_ports_and_names_carry_the_portals_messages(self, api, web1, web2):
        api.post(f"virtual-machines/{web1.pk}/endpoints", HTTP)
        taken = api.post(f"virtual-machines/{web2.pk}/endpoints", HTTP)
        assert taken.status_code == 409
        assert taken.json()["code"] == "public_port_taken"
        assert list(taken.json()["fields"]) == ["public_port"]
        again = api.post(f"virtual-machines/{web1.pk}/endpoints", HTTP | {"public_port": 81, "private_port": 81})
        assert again.status_code == 409
        assert again.json()["fields"] == {"name": ["web1 already has an endpoint named HTTP."]}
        assert Endpoint.objects.count() == 1

    @pytest.mark.parametrize("port", [0, 65536, None])
    def test_ports_are_1_to_65535(self, api, web1, port):
        response = api.post(f"virtual-machines/{web1.pk}/endpoints", HTTP | {"public_port": port})
        assert response.status_code == 400
        assert response.json()["fields"] == {"public_port": ["Enter a port from 1 to 65535."]}
        assert not Endpoint.objects.exists()

    def test_an_update_keeps_what_it_leaves_out(self, api, web1):
        created = api.post(f"virtual-machines/{web1.pk}/endpoints", HTTP).json()
        response = api.request("patch", f"endpoints/{created['id']}", json={"public_port": 8080})
        assert response.status_code == 200
        assert (response.json()["name"], response.json()["public_port"]) == ("HTTP", 8080)
        refused = api.request("patch", f"endpoints/{created['id']}", json={"private_port": 70000})
        assert refused.json()["fields"] == {"private_port": ["Enter a port from 1 to 65535."]}
        assert Endpoint.objects.get().private_port == 80

    def test_delete(self, api, web1):
        created = api.post(f"virtual-machines/{web1.pk}/endpoints", HTTP).json()
        assert api.delete(f"endpoints/{created['id']}").status_code == 204
        assert not Endpoint.objects.exists()
        assert api.get(f"endpoints/{created['id']}").status_code == 404


class TestLoadBalancedSets:
    def test_creating_a_set_with_its_probe(self, api, web1, service):
        body = with_set(api, web1)
        lb_set = LoadBalancedSet.objects.get()
        assert body["load_balanced_set"] == {"id": lb_set.pk, "name": "web"}
        read = api.get(f"load-balanced-sets/{lb_set.pk}").json()
        assert read["probe"] == {"protocol": "http", "port": 80, "path": "/", "interval": 15, "count": 2}
        assert read["probe_display"] == lb_set.probe_display
        assert (read["is_up"], read["in_rotation_count"]) == (False, 0)
        assert [m["virtual_machine"]["name"] for m in read["members"]] == ["web1"]
        listed = api.get(f"cloud-services/{service.pk}/load-balanced-sets").json()
        assert listed == {"items": [read], "next_cursor": None}

    def test_joining_a_set_takes_its_ports_and_rotation_shows_per_member(self, api, web1, web2):
        lb_set_id = with_set(api, web1)["load_balanced_set"]["id"]
        response = api.post(f"virtual-machines/{web2.pk}/endpoints", {"name": "HTTP", "load_balanced_set": lb_set_id})
        assert response.status_code == 201, response.content
        assert (response.json()["public_port"], response.json()["private_port"]) == (80, 80)
        Endpoint.objects.filter(virtual_machine=web2).update(in_rotation=True)
        read = api.get(f"load-balanced-sets/{lb_set_id}").json()
        assert [(m["virtual_machine"]["name"], m["in_rotation"]) for m in read["members"]] == [
            ("web1", False),
            ("web2", True),
        ]
        assert (read["is_up"], read["in_rotation_count"]) == (True, 1)

    def test_a_member_shares_the_sets_ports(self, api, web1, web2):
        lb_set_id = with_set(api, web1)["load_balanced_set"]["id"]
        body = HTTP | {"load_balanced_set": lb_set_id, "public_port": 81}
        response = api.post(f"virtual-machines/{web2.pk}/endpoints", body)
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["public_port"]
        assert Endpoint.objects.filter(virtual_machine=web2).count() == 0

    def test_a_set_of_another_cloud_service_is_refused(self, api, web1, subscription):
        lb_set_id = with_set(api, web1)["load_balanced_set"]["id"]
        elsewhere = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
        response = api.post(f"virtual-machines/{elsewhere.pk}/endpoints", {"name": "H", "load_balanced_set": lb_set_id})
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["load_balanced_set"]

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"probe_interval": 3601}, "probe_interval"),
            ({"probe_count": 1}, "probe_count"),
            ({"probe_port": 0}, "probe_port"),
            ({"probe_path": ""}, "probe_path"),
            ({"probe_protocol": "icmp"}, "probe_protocol"),
        ],
    )
    def test_probe_rules(self, api, web1, overrides, field):
        body = HTTP | {"load_balanced_set_name": "web", "probe_protocol": "http", "probe_path": "/"} | overrides
        response = api.post(f"virtual-machines/{web1.pk}/endpoints", body)
        assert response.status_code == 400
        assert list(response.json()["fields"]) == [field]
        assert not LoadBalancedSet.objects.exists() and not Endpoint.objects.exists()

    def test_removing_the_last_member_removes_the_set(self, api, web1):
        created = with_set(api, web1)
        assert api.delete(f"endpoints/{created['id']}").status_code == 204
        assert api.get(f"load-balanced-sets/{created['load_balanced_set']['id']}").status_code == 404


def add_rows(service, vm, count: int) -> None:
    """Give the cloud service `count` more sets with a member each, and the VM `count` more endpoints."""
    for _ in range(count):
        lb_set = factories.LoadBalancedSetFactory(cloud_service=service)
        member = factories.VirtualMachineFactory(cloud_service=service)
        factories.EndpointFactory(virtual_machine=member, load_balanced_set=lb_set, public_port=lb_set.public_port)
        factories.EndpointFactory(virtual_machine=vm)


def queries(api, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, limit=100)
    assert response.status_code == 200
    return len(captured), len(response.json()["items"])


@pytest.mark.parametrize("path", ["virtual-machines/{vm}/endpoints", "cloud-services/{service}/load-balanced-sets"])
def test_query_count_is_the_same_for_few_and_many_rows(api, service, path, settings, monkeypatch):
    settings.API_RATE_WINDOW_SECONDS = 10**9
    monkeypatch.setattr("credentials.tokens.LAST_USED_GRANULARITY", timedelta(days=1))
    vm = factories.VirtualMachineFactory(cloud_service=service)
    path = path.format(vm=vm.pk, service=service.pk)
    add_rows(service, vm, 2)
    api.get("regions")
    few, few_rows = queries(api, path)
    add_rows(service, vm, 20)
    many, many_rows = queries(api, path)
    assert (few_rows, many_rows) == (2, 22)
    assert few == many, f"{path}: {few} queries for {few_rows} rows, {many} for {many_rows}"
    assert few <= 6, "token, rate count (update and read), the parent, the page, one prefetch at most"


def test_a_member_keeps_the_ports_its_set_shares(api, web1, web2):
    lb_set_id = with_set(api, web1)["load_balanced_set"]["id"]
    member = api.post(f"virtual-machines/{web2.pk}/endpoints", {"name": "HTTP", "load_balanced_set": lb_set_id}).json()
    renamed = api.request("patch", f"endpoints/{member['id']}", json={"name": "Web"})
    assert (renamed.status_code, renamed.json()["name"]) == (200, "Web")
    moved = api.request("patch", f"endpoints/{member['id']}", json={"public_port": 81})
    assert moved.status_code == 400
    assert list(moved.json()["fields"]) == ["public_port"]
    assert Endpoint.objects.get(pk=member["id"]).public_port == 80


def test_a_set_and_a_new_set_name_together_are_refused(api, web1, web2):
    lb_set_id = with_set(api, web1)["load_balanced_set"]["id"]
    body = {"name": "HTTP", "load_balanced_set": lb_set_id, "load_balanced_set_name": "other"}
    response = api.post(f"virtual-machines/{web2.pk}/endpoints", body)
    assert response.status_code == 400
    assert response.json()["fields"] == {
        "load_balanced_set_name": ["Choose an existing load-balanced set or name a new one, not both."]
    }
