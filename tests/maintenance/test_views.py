"""The maintenance pages: staff only, a plan from the Hosts page's form, Run and Stop, in constant queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fabric.models import Host
from maintenance.models import MaintenanceRun
from maintenance.services import maintenance_plan
from tests import factories
from tests.helpers.fabric import place_on_host
from tests.helpers.maintenance import shop

pytestmark = pytest.mark.django_db

RUNS = reverse("maintenance:runs")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def quick_reboot(settings):
    settings.MAINTENANCE_SIMULATED_REBOOT_SECONDS = 0


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "fragment"])
def test_a_person_who_is_not_staff_finds_no_maintenance_pages(signed_in, subscription, user, headers):
    store = shop(subscription)
    run = maintenance_plan(hosts=store.hosts, scope="rack", user=user)
    assert signed_in.get(RUNS, **headers).status_code == 404
    assert signed_in.get(run.get_absolute_url(), **headers).status_code == 404
    assert signed_in.post(RUNS, {"rack": store.rack.pk}).status_code == 404
    assert signed_in.post(reverse("maintenance:start", args=[run.pk])).status_code == 404
    run.refresh_from_db()
    assert run.status == MaintenanceRun.Status.PLANNED


def test_the_hosts_page_offers_to_plan_maintenance_of_chosen_hosts_and_of_a_rack(staff, subscription):
    store = shop(subscription)
    html = staff.get(reverse("fabric:hosts")).content.decode()
    assert f'action="{RUNS}"' in html
    assert f'name="hosts" value="{store.hosts[0].pk}"' in html
    assert f'name="rack" value="{store.rack.pk}"' in html


def test_planning_chosen_hosts_shows_the_rounds_before_anything_happens(staff, subscription):
    store = shop(subscription)
    response = staff.post(RUNS, {"hosts": [host.pk for host in store.hosts]})
    run = MaintenanceRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.status == MaintenanceRun.Status.PLANNED
    assert sorted(run.host_ids) == sorted(host.pk for host in store.hosts)
    html = staff.get(run.get_absolute_url()).content.decode()
    assert "Round 1:" in html and "Round 2:" in html
    assert "batch is in no availability set (Shop: Batch)" in html
    assert ">Run</button>" in html
    assert set(Host.objects.filter(rack=store.rack).values_list("state", flat=True)) == {Host.State.AVAILABLE}


@pytest.mark.parametrize(
    ("data", "error"),
    [({}, "Choose hosts, a rack or a region: one of them."), ("both", "Choose hosts, a rack or a region")],
)
def test_the_plan_form_wants_exactly_one_of_hosts_rack_and_region(staff, subscription, data, error):
    store = shop(subscription)
    if data == "both":
        data = {"hosts": [store.hosts[0].pk], "rack": store.rack.pk}
    response = staff.post(RUNS, data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not MaintenanceRun.objects.exists()


def test_a_rack_and_a_region_plan_their_hosts(staff, subscription):
    store = shop(subscription)
    staff.post(RUNS, {"rack": store.rack.pk})
    staff.post(RUNS, {"region": store.rack.region_id})
    by_rack, by_region = MaintenanceRun.objects.order_by("pk")
    assert by_rack.scope == f"rack {store.rack}" and sorted(by_rack.host_ids) == sorted(h.pk for h in store.hosts)
    assert set(by_region.host_ids) == set(
        Host.objects.filter(rack__region=store.rack.region).values_list("pk", flat=True)
    )


def test_run_walks_the_plan_and_the_page_reports_it(staff, subscription, django_capture_on_commit_callbacks):
    """With tasks run at once, Run carries out every round before the page is shown again."""
    store = shop(subscription)
    run = maintenance_plan(hosts=store.hosts, scope="rack", user=None)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("maintenance:start", args=[run.pk]))
    response = staff.get(run.get_absolute_url())
    run.refresh_from_db()
    assert run.status == MaintenanceRun.Status.COMPLETED, run.outcome
    html = response.content.decode()
    assert "Completed" in html and "Batch" in html and "Yes" in html
    # A simulated region has no HAProxy: nothing counts the requests.
    assert "Not measured: no load balancer carries its sets in this region" in html
    again = staff.post(reverse("maintenance:start", args=[run.pk]), follow=True)
    assert "This maintenance has already run." in again.content.decode()


def test_stop_of_a_run_that_is_not_running_says_so(staff, subscription):
    run = maintenance_plan(hosts=shop(subscription).hosts, scope="rack", user=None)
    response = staff.post(reverse("maintenance:stop", args=[run.pk]), follow=True)
    assert "This maintenance is not running." in response.content.decode()


def test_a_plan_made_stale_by_a_new_vm_is_refused_at_run(staff, subscription):
    store = shop(subscription)
    run = maintenance_plan(hosts=store.hosts[:2], scope="two hosts", user=None)
    membership = factories.MembershipFactory(
        availability_set=store.vms["web2"].membership.availability_set,
        virtual_machine__cloud_service=store.vms["web2"].cloud_service,
        update_domain=1,
    )
    place_on_host(membership.virtual_machine, store.hosts[0])  # h1 now holds update domains 0 and 1 of web
    response = staff.post(reverse("maintenance:start", args=[run.pk]), follow=True)
    assert "changed since the plan was made" in response.content.decode()
    run.refresh_from_db()
    assert run.status == MaintenanceRun.Status.PLANNED


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_the_run_page_costs_the_same_queries_with_many_hosts_and_vms(
    staff, subscription, user, htmx, django_assert_max_num_queries
):
    headers = HTMX if htmx else {}
    small = maintenance_plan(hosts=shop(subscription).hosts[:1], scope="one", user=user)
    rack = small.plan["rounds"] and Host.objects.get(pk=small.host_ids[0]).rack
    service = factories.CloudServiceFactory(subscription=subscription)
    for number in range(5, 15):
        host = Host.objects.create(
            rack=rack, name=f"m-h{number}", cores=64, memory_mb=262144, subnet=f"10.240.{number}.0/24"
        )
        availability_set = factories.AvailabilitySetFactory(cloud_service=service)
        for update_domain in range(2):
            membership = factories.MembershipFactory(
                availability_set=availability_set, virtual_machine__cloud_service=service, update_domain=update_domain
            )
            place_on_host(membership.virtual_machine, host)
    large = maintenance_plan(hosts=list(Host.objects.filter(rack=rack)), scope="many", user=user)
    for run in (small, large):
        with django_assert_max_num_queries(8):
            response = staff.get(run.get_absolute_url(), **headers)
        assert response.status_code == 200
        assert ("<html" in response.content.decode()) is not htmx
    with django_assert_max_num_queries(8):
        response = staff.get(RUNS, **headers)
    assert ("<html" in response.content.decode()) is not htmx
