"""Applications through the API: roles, dependencies, the assessment and drills, with the portal's rules and words."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from applications.models import Application, Dependency, Drill, Role
from applications.selectors import application_view
from tests import factories
from tests.helpers.api import ApiClient
from vms.models import VirtualMachine

pytestmark = pytest.mark.django_db

NOT_OFFERED = ["Choose an availability set or a virtual machine of this subscription."]


@pytest.fixture
def web_set(subscription):
    """WebSet with IIS1 and IIS2 in different fault and update domains."""
    web_set = factories.AvailabilitySetFactory(name="WebSet", cloud_service__subscription=subscription)
    factories.MembershipFactory(availability_set=web_set, virtual_machine__name="IIS1", fault_domain=0, update_domain=0)
    factories.MembershipFactory(availability_set=web_set, virtual_machine__name="IIS2", fault_domain=1, update_domain=1)
    return web_set


@pytest.fixture
def sql1(web_set):
    return factories.VirtualMachineFactory(name="SQL1", cloud_service=web_set.cloud_service)


def web_shop(api, web_set, sql1) -> dict:
    """The seed's example through the API: Web (WebSet) depends on Data (SQL1 alone)."""
    application = api.post("applications", {"name": "Web shop"}).json()
    base = f"applications/{application['id']}"
    web = api.post(f"{base}/roles", {"name": "Web", "availability_set": web_set.pk}).json()
    data = api.post(f"{base}/roles", {"name": "Data", "virtual_machine": sql1.pk}).json()
    response = api.post(f"{base}/dependencies", {"role": web["id"], "depends_on": data["id"]})
    assert response.status_code == 201, response.content
    return api.get(base).json()


class TestApplications:
    def test_create_read_and_list(self, api, subscription):
        response = api.post("applications", {"name": "Web shop"})
        assert response.status_code == 201
        application = Application.objects.get(subscription=subscription)
        assert response["Location"] == f"/api/v1/applications/{application.pk}"
        body = response.json()
        assert (body["name"], body["roles"], body["dependencies"], body["role_count"]) == ("Web shop", [], [], 0)
        assert api.get(response["Location"]).json() == body
        listed = api.get("applications").json()["items"]
        assert [(item["id"], item["name"]) for item in listed] == [(application.pk, "Web shop")]

    def test_a_taken_name_is_409_beside_name(self, api):
        api.post("applications", {"name": "Web shop"})
        response = api.post("applications", {"name": "WEB SHOP"})
        assert response.status_code == 409
        assert response.json()["fields"] == {"name": ["This subscription already has an application named WEB SHOP."]}
        assert Application.objects.count() == 1

    def test_roles_and_dependencies_read_back_with_members(self, api, web_set, sql1):
        shop = web_shop(api, web_set, sql1)
        web, data = shop["roles"]
        assert (web["name"], web["availability_set"], web["virtual_machine"]) == (
            "Web",
            {"id": web_set.pk, "name": "WebSet"},
            None,
        )
        assert [(m["virtual_machine"]["name"], m["fault_domain"], m["update_domain"]) for m in web["members"]] == [
            ("IIS1", 0, 0),
            ("IIS2", 1, 1),
        ]
        assert data["virtual_machine"] == {"id": sql1.pk, "name": "SQL1"}
        assert [(d["role"]["name"], d["depends_on"]["name"]) for d in shop["dependencies"]] == [("Web", "Data")]
        assert shop["has_single_point_of_failure"] is True

    def test_role_targets_follow_the_services_rules(self, api, web_set, sql1, stranger):
        base = f"applications/{api.post('applications', {'name': 'A'}).json()['id']}"
        api.post(f"{base}/roles", {"name": "Web", "availability_set": web_set.pk})
        taken = api.post(f"{base}/roles", {"name": "Again", "availability_set": web_set.pk})
        assert taken.status_code == 409
        assert taken.json()["fields"] == {"availability_set": ["WebSet is already the Web role of this application."]}
        iis1 = VirtualMachine.objects.get(name="IIS1")
        in_set = api.post(f"{base}/roles", {"name": "One", "virtual_machine": iis1.pk})
        assert in_set.status_code == 400
        assert in_set.json()["fields"] == {
            "virtual_machine": ["IIS1 is in the availability set WebSet: choose the set as the role."]
        }
        neither = api.post(f"{base}/roles", {"name": "None"})
        assert neither.status_code == 400
        assert neither.json()["fields"] == {"availability_set": ["Choose an availability set or a virtual machine."]}
        theirs = factories.AvailabilitySetFactory(cloud_service__subscription=stranger[1])
        foreign = api.post(f"{base}/roles", {"name": "Theirs", "availability_set": theirs.pk})
        assert foreign.status_code == 400
        assert foreign.json()["fields"] == {"availability_set": NOT_OFFERED}
        assert Role.objects.count() == 1

    def test_a_dependency_cycle_is_refused_with_its_path(self, api, web_set, sql1):
        shop = web_shop(api, web_set, sql1)
        web, data = shop["roles"]
        response = api.post(f"applications/{shop['id']}/dependencies", {"role": data["id"], "depends_on": web["id"]})
        assert response.status_code == 400
        assert response.json()["fields"] == {"depends_on": ["Dependencies may not form a cycle: Data -> Web -> Data."]}
        again = api.post(f"applications/{shop['id']}/dependencies", {"role": web["id"], "depends_on": data["id"]})
        assert again.status_code == 409
        assert Dependency.objects.count() == 1

    def test_a_role_of_another_application_is_not_offered(self, api, web_set, sql1):
        shop = web_shop(api, web_set, sql1)
        other = api.post("applications", {"name": "Other"}).json()
        response = api.post(
            f"applications/{other['id']}/dependencies",
            {"role": shop["roles"][0]["id"], "depends_on": shop["roles"][1]["id"]},
        )
        assert response.status_code == 400
        assert response.json()["fields"] == {
            "role": ["Choose a role of this application."],
            "depends_on": ["Choose a role of this application."],
        }

    def test_remove_a_dependency_a_role_and_the_application(self, api, web_set, sql1):
        shop = web_shop(api, web_set, sql1)
        base = f"applications/{shop['id']}"
        assert api.delete(f"{base}/dependencies/{shop['dependencies'][0]['id']}").status_code == 204
        assert not Dependency.objects.exists()
        assert api.delete(f"{base}/roles/{shop['roles'][1]['id']}").status_code == 204
        assert [role["name"] for role in api.get(base).json()["roles"]] == ["Web"]
        assert api.delete(base).status_code == 204
        assert api.get(base).status_code == 404
        assert not Application.objects.exists()


class TestAssessment:
    def test_the_assessment_is_the_pages_own(self, api, web_set, sql1):
        shop = web_shop(api, web_set, sql1)
        response = api.get(f"applications/{shop['id']}/assessment")
        assert response.status_code == 200
        body = response.json()
        expected = application_view(Application.objects.get()).assessment
        data = {"id": shop["roles"][1]["id"], "name": "Data"}
        assert body["up"] is True and body["down_roles"] == []
        assert body["single_points_of_failure"] == [data]
        assert [(v["scenario"], v["survives"]) for v in body["verdicts"]] == [
            (str(v.scenario), v.survives) for v in expected.verdicts
        ]
        update = next(v for v in body["verdicts"] if v["scenario"] == "update")
        assert (update["survives"], update["blamed"], update["required"]) == (False, data, True)
        assert update["reasons"] == list(next(v for v in expected.verdicts if v.scenario == "update").reasons)
        assert {(f["kind"], f["role"]["name"]) for f in body["findings"]} == {
            (str(f.kind), {r.role.pk: r.role.name for r in application_view(Application.objects.get()).roles}[f.role])
            for f in expected.findings
        }
        assert ("one_vm", "Data") in {(f["kind"], f["role"]["name"]) for f in body["findings"]}
        web_minimums = [m for m in body["minimum_members"] if m["role"]["name"] == "Web"]
        assert {m["scenario"] for m in web_minimums} == {"rack", "update", "rack_and_update"}
        assert all(m["has"] == 2 for m in web_minimums)

    def test_with_sql_in_a_set_of_two_nothing_is_a_single_point(self, api, web_set):
        sql_set = factories.AvailabilitySetFactory(name="SQLSet", cloud_service=web_set.cloud_service)
        factories.MembershipFactory(availability_set=sql_set, fault_domain=0, update_domain=0)
        factories.MembershipFactory(availability_set=sql_set, fault_domain=1, update_domain=1)
        application = api.post("applications", {"name": "Shop"}).json()
        api.post(f"applications/{application['id']}/roles", {"name": "Web", "availability_set": web_set.pk})
        api.post(f"applications/{application['id']}/roles", {"name": "Data", "availability_set": sql_set.pk})
        body = api.get(f"applications/{application['id']}/assessment").json()
        assert body["single_points_of_failure"] == []
        assert all(v["survives"] for v in body["verdicts"] if v["required"])
        assert api.get("applications").json()["items"][0]["has_single_point_of_failure"] is False


@pytest.fixture
def held_api(raw_token) -> ApiClient:
    """A client whose requests leave the worker's tasks unrun: a drill stays running until stopped."""
    return ApiClient(raw_token)


class TestDrills:
    def test_start_answers_202_with_the_drill_to_poll(self, held_api, web_set, sql1):
        shop = web_shop(held_api, web_set, sql1)
        response = held_api.post(f"applications/{shop['id']}/drills", {"kind": "walk"})
        assert response.status_code == 202, response.content
        drill = Drill.objects.get()
        assert response["Location"] == f"/api/v1/applications/{shop['id']}/drills/{drill.pk}"
        body = response.json()
        assert (body["kind"], body["status"], body["title"]) == ("walk", "running", "Planned maintenance walk")
        assert (body["predicted_survives"], body["predicted_blame"]) == (False, "Data")
        report = held_api.get(response["Location"]).json()
        assert report["events"][0]["text"].startswith("Planned maintenance walk of Web shop begins.")
        listed = held_api.get(f"applications/{shop['id']}/drills").json()["items"]
        assert [item["id"] for item in listed] == [drill.pk]

    def test_one_drill_at_a_time_and_no_changes_while_it_runs(self, held_api, web_set, sql1):
        shop = web_shop(held_api, web_set, sql1)
        base = f"applications/{shop['id']}"
        held_api.post(f"{base}/drills", {"kind": "walk"})
        again = held_api.post(f"{base}/drills", {"kind": "walk"})
        assert again.status_code == 409
        assert again.json()["code"] == "drill_running"
        assert held_api.delete(base).status_code == 409
        assert held_api.delete(f"{base}/roles/{shop['roles'][0]['id']}").status_code == 409
        assert Drill.objects.count() == 1 and Role.objects.count() == 2

    def test_a_rack_failure_with_its_options(self, held_api, web_set, sql1):
        shop = web_shop(held_api, web_set, sql1)
        base = f"applications/{shop['id']}/drills"
        web = shop["roles"][0]
        refused = held_api.post(base, {"kind": "rack_failure", "fault_domain": 3})
        assert refused.status_code == 400
        assert refused.json()["fields"] == {"fault_domain": ["Choose fault domain 0, 1 or 2."]}
        too_long = held_api.post(base, {"kind": "rack_failure", "fault_domain": 0, "failure_seconds": 61})
        assert too_long.json()["fields"] == {"failure_seconds": ["A rack failure lasts from 0 to 60 seconds."]}
        response = held_api.post(
            base, {"kind": "rack_failure", "fault_domain": 1, "role": web["id"], "failure_seconds": 5}
        )
        assert response.status_code == 202, response.content
        body = response.json()
        assert (body["title"], body["fault_domain"], body["role"], body["failure_seconds"]) == (
            "Rack failure of fault domain 1 of Web",
            1,
            "Web",
            5,
        )
        assert body["predicted_survives"] is True

    def test_stop_then_stop_again(self, held_api, web_set, sql1):
        shop = web_shop(held_api, web_set, sql1)
        drill = held_api.post(f"applications/{shop['id']}/drills", {"kind": "walk"}).json()
        stop = f"applications/{shop['id']}/drills/{drill['id']}/stop"
        response = held_api.post(stop)
        assert response.status_code == 202
        assert response.json()["stop_requested"] is True
        Drill.objects.filter(pk=drill["id"]).update(status=Drill.Status.STOPPED)
        ended = held_api.post(stop)
        assert ended.status_code == 409
        assert ended.json()["message"] == "This drill has already ended."

    def test_a_drill_of_an_application_without_roles_is_refused(self, held_api):
        application = held_api.post("applications", {"name": "Empty"}).json()
        response = held_api.post(f"applications/{application['id']}/drills", {"kind": "walk"})
        assert response.status_code == 400
        assert response.json()["message"] == "Add a role to the application before drilling it."
        assert not Drill.objects.exists()


def add_applications(subscription, count: int) -> None:
    for _ in range(count):
        membership = factories.MembershipFactory(availability_set__cloud_service__subscription=subscription)
        application = factories.ApplicationFactory(subscription=subscription)
        role = factories.RoleFactory(application=application, availability_set=membership.availability_set)
        lone = factories.RoleFactory(
            application=application,
            virtual_machine=factories.VirtualMachineFactory(cloud_service__subscription=subscription),
        )
        Dependency.objects.create(role=role, depends_on=lone)
        Drill.objects.create(application=application, kind=Drill.Kind.WALK, status=Drill.Status.COMPLETED)


def queries(api, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, limit=100)
    assert response.status_code == 200
    return len(captured), len(response.json()["items"])


@pytest.mark.parametrize("path", ["applications", "applications/{application}/drills"])
def test_query_count_is_the_same_for_few_and_many_rows(api, subscription, path, settings, monkeypatch):
    settings.API_RATE_WINDOW_SECONDS = 10**9
    monkeypatch.setattr("credentials.tokens.LAST_USED_GRANULARITY", timedelta(days=1))
    add_applications(subscription, 2)
    application = Application.objects.filter(subscription=subscription).first()
    path = path.format(application=application.pk)
    api.get("regions")
    few, few_rows = queries(api, path)
    add_applications(subscription, 15)
    for _ in range(15):
        Drill.objects.create(application=application, kind=Drill.Kind.WALK, status=Drill.Status.COMPLETED)
    many, many_rows = queries(api, path)
    assert many_rows > few_rows
    assert few == many, f"{path}: {few} queries for {few_rows} rows, {many} for {many_rows}"


class TestDrillOnTheWorker:
    def test_a_walk_runs_to_its_report_and_matches_the_prediction(self, api, web_set, sql1):
        shop = web_shop(api, web_set, sql1)
        response = api.post(f"applications/{shop['id']}/drills", {"kind": "walk"})
        assert response.status_code == 202
        report = api.get(response["Location"]).json()
        assert report["status"] == "completed"
        assert (report["went_down"], report["observed_blame"], report["observed_down"]) == (True, "Data", ["Data"])
        assert report["matched_prediction"] is True and report["down_seconds"] > 0
        texts = [event["text"] for event in report["events"]]
        assert any("Update domain 0: IIS1, SQL1 shut down for their update." in text for text in texts)
        assert texts[-1] == "The drill completed."
        assert set(VirtualMachine.objects.values_list("status", flat=True)) == {VirtualMachine.Status.RUNNING}


def test_a_repeated_idempotency_key_starts_one_drill(held_api, web_set, sql1):
    shop = web_shop(held_api, web_set, sql1)
    headers = {"Idempotency-Key": "walk-1"}
    first = held_api.post(f"applications/{shop['id']}/drills", {"kind": "walk"}, headers=headers)
    again = held_api.post(f"applications/{shop['id']}/drills", {"kind": "walk"}, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Drill.objects.count() == 1


def test_a_role_needs_a_name(api, web_set):
    application = api.post("applications", {"name": "A"}).json()
    response = api.post(f"applications/{application['id']}/roles", {"name": " ", "availability_set": web_set.pk})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["name"]
    assert not Role.objects.exists()
