"""A token acts only in its subscription: another subscription's ids are 404 on every route, and refused in bodies."""

from __future__ import annotations

import re

import pytest

from api.v1.api import api as ninja_api
from applications.models import Application, Dependency, Drill, Role
from availability.models import AvailabilitySet, Membership
from endpoints.models import Endpoint, LoadBalancedSet
from tests import factories
from tests.factories import STRONG_PASSWORD, image_version
from vms.models import AffinityGroup, CloudService, Operation, StorageAccount, VirtualMachine, VirtualNetwork

pytestmark = pytest.mark.django_db

DOCUMENT = ninja_api.get_openapi_schema(path_prefix="")
OPERATIONS = [(method.upper(), path) for path, methods in DOCUMENT["paths"].items() for method in methods]
# The catalog is shared by every subscription; everything else belongs to one.
SHARED = {"image_id"}
# Bodies that would succeed with ids of the token's own subscription.
BODIES = {
    "/virtual-machines/{vm_id}/configure": {"size": "Medium"},
    "/virtual-machines/{vm_id}/endpoints": {"name": "HTTP2", "public_port": 8080, "private_port": 8080},
    "/endpoints/{endpoint_id}": {"name": "renamed"},
    "/applications/{application_id}/roles": {"name": "Extra"},
    "/applications/{application_id}/dependencies": {"role": 1, "depends_on": 2},
    "/applications/{application_id}/drills": {"kind": "walk"},
}


def objects_of(vm) -> dict:
    """An endpoint in a load-balanced set and an application with two roles, a dependency and a drill."""
    member = factories.EndpointFactory(
        virtual_machine=vm, load_balanced_set=factories.LoadBalancedSetFactory(cloud_service=vm.cloud_service)
    )
    application = factories.ApplicationFactory(subscription=vm.cloud_service.subscription)
    web = factories.RoleFactory(application=application, availability_set=vm.membership.availability_set)
    lone = factories.VirtualMachineFactory(cloud_service=vm.cloud_service)
    data = factories.RoleFactory(application=application, virtual_machine=lone)
    dependency = Dependency.objects.create(role=web, depends_on=data)
    drill = Drill.objects.create(application=application, kind=Drill.Kind.WALK)
    return {
        "endpoint_id": member.pk,
        "lb_set_id": member.load_balanced_set_id,
        "application_id": application.pk,
        "role_id": data.pk,
        "dependency_id": dependency.pk,
        "drill_id": drill.pk,
    }


@pytest.fixture
def foreign(stranger, django_capture_on_commit_callbacks):
    """Another person's subscription with one of everything, a VM running in a set."""
    person, subscription = stranger
    with django_capture_on_commit_callbacks(execute=True):
        operation = factories.deploy(person, subscription, dns_name="theirs", availability_set_name="theirset")
    vm = VirtualMachine.objects.get(pk=operation.virtual_machine_id)
    network = factories.SubnetFactory(virtual_network__subscription=subscription).virtual_network
    return {
        **objects_of(vm),
        "vm_id": vm.pk,
        "set_id": vm.membership.availability_set_id,
        "service_id": vm.cloud_service_id,
        "account_id": vm.storage_account_id,
        "group_id": network.affinity_group_id,
        "network_id": network.pk,
        "operation_id": operation.pk,
        "subnet_id": network.subnets.get().pk,
    }


def snapshot() -> tuple:
    """Everything a foreign request could change."""
    return (
        list(VirtualMachine.objects.order_by("pk").values_list("pk", "status", "size_id")),
        list(Membership.objects.order_by("pk").values_list("virtual_machine_id", "availability_set_id")),
        list(Drill.objects.order_by("pk").values_list("pk", "status", "stop_requested")),
        list(Endpoint.objects.order_by("pk").values_list("pk", "name", "public_port", "load_balanced_set_id")),
        *(
            model.objects.count()
            for model in (
                AvailabilitySet,
                CloudService,
                StorageAccount,
                AffinityGroup,
                VirtualNetwork,
                Operation,
                LoadBalancedSet,
                Application,
                Role,
                Dependency,
            )
        ),
    )


def test_every_route_with_an_id_answers_404_for_a_foreign_one(api, foreign):
    before = snapshot()
    swept = []
    for method, path in OPERATIONS:
        names = re.findall(r"{(\w+)}", path)
        if not names or set(names) <= SHARED:
            continue
        url = "/api/v1" + path.format(**{name: foreign[name] for name in names})
        response = api.request(method.lower(), url, json=BODIES.get(path, {}))
        assert response.status_code == 404, (method, path, response.content)
        assert response.json() == {
            "code": "not_found",
            "message": "There is no such object in the token's subscription.",
            "fields": {},
        }
        swept.append((method, path))
    assert snapshot() == before
    assert len(swept) == len([op for op in OPERATIONS if set(re.findall(r"{(\w+)}", op[1])) - SHARED]) == 32


def test_the_same_routes_answer_for_the_tokens_own_objects(api, user, subscription, django_capture_on_commit_callbacks):
    """The sweep above proves isolation only if the same requests work on one's own objects."""
    with django_capture_on_commit_callbacks(execute=True):
        operation = factories.deploy(user, subscription, availability_set_name="mine")
    vm = VirtualMachine.objects.get(pk=operation.virtual_machine_id)
    network = factories.SubnetFactory(virtual_network__subscription=subscription).virtual_network
    own = {
        **objects_of(vm),
        "vm_id": vm.pk,
        "set_id": vm.membership.availability_set_id,
        "service_id": vm.cloud_service_id,
        "account_id": vm.storage_account_id,
        "group_id": network.affinity_group_id,
        "network_id": network.pk,
        "operation_id": operation.pk,
    }
    for method, path in OPERATIONS:
        names = re.findall(r"{(\w+)}", path)
        if method != "GET" or not names or set(names) <= SHARED:
            continue
        url = "/api/v1" + path.format(**{name: own[name] for name in names})
        assert api.get(url).status_code == 200, url


def test_lists_show_nothing_of_another_subscription(api, foreign):
    for method, path in OPERATIONS:
        if method != "GET" or "{" in path or path in {"/regions", "/sizes", "/images"}:
            continue
        assert api.get("/api/v1" + path).json()["items"] == [], path


def test_foreign_ids_in_a_vm_body_read_as_choices_not_offered(api, foreign):
    before = snapshot()
    body = {
        "image": image_version().image_id,
        "name": "web1",
        "admin_username": "portaladmin",
        "admin_password": STRONG_PASSWORD,
        "size": "Small",
        "cloud_service": foreign["service_id"],
        "storage_account": foreign["account_id"],
        "availability_set": foreign["set_id"],
        "subnet": foreign["subnet_id"],
    }
    response = api.post("virtual-machines", body)
    assert response.status_code == 400
    message = ["Select a valid choice. That choice is not one of the available choices."]
    assert response.json()["fields"] == {
        "cloud_service": message,
        "storage_account": message,
        "availability_set": message,
        "subnet": message,
    }
    stand_alone = body | {"cloud_service": None, "dns_name": "mine", "availability_set": None, "subnet": None}
    for field, key in (("affinity_group", "group_id"), ("virtual_network", "network_id")):
        response = api.post("virtual-machines", stand_alone | {"storage_account": None, field: foreign[key]})
        assert response.json()["fields"] == {field: message}, field
    assert snapshot() == before


def test_foreign_ids_in_other_bodies_are_refused(api, foreign, subscription):
    own_vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
    before = snapshot()
    message = ["Select a valid choice. That choice is not one of the available choices."]
    attempts = [
        ("availability-sets", {"cloud_service": foreign["service_id"], "name": "x"}, "cloud_service"),
        ("cloud-services", {"dns_name": "mine", "affinity_group": foreign["group_id"]}, "affinity_group"),
        ("cloud-services", {"dns_name": "mine", "virtual_network": foreign["network_id"]}, "virtual_network"),
        ("virtual-networks", {"name": "n", "affinity_group": foreign["group_id"]}, "affinity_group"),
        (f"virtual-machines/{own_vm.pk}/configure", {"availability_set": foreign["set_id"]}, "availability_set"),
        (
            f"virtual-machines/{own_vm.pk}/endpoints",
            {"name": "H", "load_balanced_set": foreign["lb_set_id"]},
            "load_balanced_set",
        ),
    ]
    for path, body, field in attempts:
        response = api.post(path, body)
        assert response.status_code == 400, path
        assert response.json()["fields"][field] == message, path
    assert snapshot() == before


def test_foreign_ids_in_application_bodies_are_refused(api, foreign, subscription):
    own = factories.ApplicationFactory(subscription=subscription)
    foreign_vm = VirtualMachine.objects.get(pk=foreign["vm_id"])
    before = snapshot()
    base = f"applications/{own.pk}"
    target = ["Choose an availability set or a virtual machine of this subscription."]
    role = ["Choose a role of this application."]
    attempts = [
        (f"{base}/roles", {"name": "x", "availability_set": foreign["set_id"]}, {"availability_set": target}),
        (f"{base}/roles", {"name": "x", "virtual_machine": foreign_vm.pk}, {"virtual_machine": target}),
        (
            f"{base}/dependencies",
            {"role": foreign["role_id"], "depends_on": foreign["role_id"]},
            {"role": role, "depends_on": role},
        ),
        (f"{base}/drills", {"kind": "rack_failure", "fault_domain": 0, "role": foreign["role_id"]}, {"role": role}),
    ]
    for path, body, fields in attempts:
        response = api.post(path, body)
        assert response.status_code == 400, path
        assert response.json()["fields"] == fields, path
    assert snapshot() == before
