"""The VM list is answered from plain rows: its body is byte for byte the schema-validated one, and fits the schema."""

from __future__ import annotations

import json

import pytest
from ninja.responses import NinjaJSONEncoder

from api import schemas
from api.pagination import paginate
from api.v1.representations import virtual_machine_out
from availability.selectors import virtual_machines_for
from tests import factories
from vms.models import Operation, VirtualMachine

pytestmark = pytest.mark.django_db


def varied_machines(subscription) -> None:
    """Give the subscription a VM in every status, in and out of sets, with and without a subnet and endpoints."""
    statuses = list(VirtualMachine.Status)
    for index, status in enumerate(statuses):
        if index % 3 == 0:
            membership = factories.MembershipFactory(
                availability_set__cloud_service__subscription=subscription,
                fault_domain=index % 2,
                update_domain=index % 5,
            )
            vm = membership.virtual_machine
        elif index % 3 == 1:
            network = factories.VirtualNetworkFactory(subscription=subscription)
            subnet = factories.SubnetFactory(virtual_network=network)
            vm = factories.VirtualMachineFactory(
                cloud_service__subscription=subscription,
                cloud_service__virtual_network=network,
                cloud_service__region=network.affinity_group.region,
                subnet=subnet,
                image_version=factories.image_version("Ubuntu Server 12.04 LTS"),
                size=factories.size("Large"),
                name=f"Web-ü{index}",
            )
        else:
            vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription, admin_username='o"brien\\x')
            factories.EndpointFactory(virtual_machine=vm)
        VirtualMachine.objects.filter(pk=vm.pk).update(status=status)


def validated_body(subscription, *, cursor: str | None = None, limit: int = 100) -> bytes:
    """The page as django-ninja answers a representation: validated by the schema, dumped, then encoded."""
    page = paginate(virtual_machines_for(subscription), cursor=cursor, limit=limit)
    data = {"items": [virtual_machine_out(vm) for vm in page.items], "next_cursor": page.next_cursor}
    dumped = schemas.VirtualMachinePage.model_validate(data).model_dump()
    return json.dumps(dumped, cls=NinjaJSONEncoder).encode()


def test_every_status_has_a_place_in_the_schema():
    status = schemas.VirtualMachine.model_fields["status"].annotation
    kind = schemas.Operation.model_fields["kind"].annotation
    assert set(status.__args__) == set(VirtualMachine.Status.values)
    assert set(kind.__args__) == set(Operation.Kind.values)


def test_the_list_body_is_byte_identical_to_the_schema_validated_one(api, subscription):
    varied_machines(subscription)
    response = api.get("virtual-machines", limit=100)
    assert response.status_code == 200
    assert response.content == validated_body(subscription)
    detail = api.get(f"virtual-machines/{response.json()['items'][0]['id']}")
    assert response["Content-Type"] == detail["Content-Type"]
    statuses = {item["status"] for item in response.json()["items"]}
    assert statuses == set(VirtualMachine.Status.values)
    assert {item["availability_set"] is None for item in response.json()["items"]} == {True, False}
    assert {item["subnet"] is None for item in response.json()["items"]} == {True, False}


def test_each_page_of_the_walk_is_byte_identical(api, subscription):
    varied_machines(subscription)
    cursor = None
    while True:
        response = api.get("virtual-machines", limit=4, **({"cursor": cursor} if cursor else {}))
        assert response.content == validated_body(subscription, cursor=cursor, limit=4)
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break


def test_the_list_body_fits_the_response_schema(api, subscription):
    varied_machines(subscription)
    response = api.get("virtual-machines", limit=100)
    page = schemas.VirtualMachinePage.model_validate_json(response.content)
    assert len(page.items) == len(VirtualMachine.Status)
