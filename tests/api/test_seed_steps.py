"""The seed's four steps, through the API alone: two sets of two VMs, every member Running, spread across domains."""

from __future__ import annotations

import pytest

from tests.factories import STRONG_PASSWORD

pytestmark = pytest.mark.django_db

WINDOWS = "Windows Server 2012 Datacenter"


def poll(api, accepted) -> dict:
    """Follow an accepted operation's Location until it ends; return the finished operation."""
    assert accepted.status_code == 202, accepted.json()
    location = accepted["Location"]
    assert location == f"/api/v1/operations/{accepted.json()['operation']['id']}"
    for _ in range(10):
        operation = api.get(location).json()
        if operation["status"] != "InProgress":
            return operation
    raise AssertionError(f"{location} did not finish")


def test_steps_1_to_4_through_the_api(api):
    image = next(item for item in api.get("images").json()["items"] if item["name"] == WINDOWS)
    vm = {"image": image["id"], "admin_username": "portaladmin", "admin_password": STRONG_PASSWORD, "size": "Small"}

    # Step 1: a VM in a new cloud service, with a new availability set.
    step1 = api.post(
        "virtual-machines",
        vm | {"name": "web1", "dns_name": "contosoweb", "region": "West US", "availability_set_name": "webset"},
    )
    assert poll(api, step1)["status"] == "Succeeded"
    web1 = api.get(f"virtual-machines/{step1.json()['virtual_machine']}").json()
    web_set = web1["availability_set"]

    # Step 2: a second VM connected to the first's cloud service, into that set.
    step2 = api.post(
        "virtual-machines",
        vm | {"name": "web2", "cloud_service": web1["cloud_service"]["id"], "availability_set": web_set["id"]},
    )
    assert poll(api, step2)["status"] == "Succeeded"

    # Step 3: a third VM on its own, then a set created for it on its Configure tab.
    step3 = api.post("virtual-machines", vm | {"name": "sql1", "dns_name": "contososql", "region": "West US"})
    assert poll(api, step3)["status"] == "Succeeded"
    sql1_id = step3.json()["virtual_machine"]
    sql1 = api.get(f"virtual-machines/{sql1_id}").json()
    assert sql1["availability_set"] is None
    configured = api.post(f"virtual-machines/{sql1_id}/configure", {"availability_set_name": "sqlset"})
    assert poll(api, configured)["status"] == "Succeeded"
    sql_set = api.get(f"virtual-machines/{sql1_id}").json()["availability_set"]
    assert sql_set["name"] == "sqlset"

    # Step 4: a fourth VM in the same cloud service, then added to that set.
    step4 = api.post("virtual-machines", vm | {"name": "sql2", "cloud_service": sql1["cloud_service"]["id"]})
    assert poll(api, step4)["status"] == "Succeeded"
    sql2_id = step4.json()["virtual_machine"]
    added = api.post(f"virtual-machines/{sql2_id}/configure", {"availability_set": sql_set["id"]})
    assert poll(api, added)["status"] == "Succeeded"

    machines = api.get("virtual-machines").json()["items"]
    assert sorted(m["name"] for m in machines) == ["sql1", "sql2", "web1", "web2"]
    assert {m["status"] for m in machines} == {"running"}
    for set_id, names in ((web_set["id"], {"web1", "web2"}), (sql_set["id"], {"sql1", "sql2"})):
        detail = api.get(f"availability-sets/{set_id}").json()
        members = detail["members"]
        assert {m["virtual_machine"]["name"] for m in members} == names
        assert {m["status"] for m in members} == {"running"}
        assert len({m["fault_domain"] for m in members}) == 2, "members share a fault domain"
        assert len({m["update_domain"] for m in members}) == 2, "members share an update domain"
        assert detail["eligible_for_sla"] and detail["in_compliance"]
