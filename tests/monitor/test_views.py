"""The Monitor tab (with and without htmx), the Dashboard's usage chart, the sparklines, and the metrics API."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories
from tests.helpers.monitor import record_minutes


def test_the_monitor_tab_is_a_page_with_charts_and_their_tables(signed_in, vm):
    record_minutes(vm, 5)
    response = signed_in.get(reverse("vms:monitor", args=[vm.pk]))
    html = response.content.decode()
    assert "<html" in html
    assert 'aria-current="page"' in html and ">Monitor</a>" in html
    assert html.index(">Dashboard</a>") < html.index(">Monitor</a>") < html.index(">Endpoints</a>")
    assert html.index(">Endpoints</a>") < html.index(">Configure</a>")
    assert 'type="application/json"' in html and 'id="chart-cpu-data"' in html
    assert '<th scope="col">CPU percentage (%)</th>' in html
    assert "<td>42.0</td>" in html


def test_with_htmx_the_tab_is_a_fragment(signed_in, vm):
    response = signed_in.get(reverse("vms:monitor", args=[vm.pk]), headers={"HX-Request": "true"})
    assert "<html" not in response.content.decode()
    assert 'id="monitor-charts"' in response.content.decode()


def test_a_range_link_swaps_only_the_charts(signed_in, vm):
    response = signed_in.get(
        reverse("vms:monitor", args=[vm.pk]) + "?range=7d&part=charts",
        headers={"HX-Request": "true", "HX-Target": "renamed-element"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="monitor-charts">')
    assert "hourly averages" in html
    assert "HX-Target" not in response["Vary"]


def test_someone_elses_vm_has_no_monitor_tab(signed_in):
    other = factories.VirtualMachineFactory()
    assert signed_in.get(reverse("vms:monitor", args=[other.pk])).status_code == 404


@pytest.mark.parametrize("span", ["1h", "24h", "7d"])
@pytest.mark.parametrize("minutes", [2, 60])
def test_the_monitor_tab_reads_its_samples_in_one_query(signed_in, vm, span, minutes, django_assert_num_queries):
    record_minutes(vm, minutes)
    # Session, user, the person's subscriptions, the VM, and the samples of the range.
    with django_assert_num_queries(5):
        assert signed_in.get(reverse("vms:monitor", args=[vm.pk]) + f"?range={span}").status_code == 200


def test_the_dashboard_loads_the_last_hour_at_its_top(signed_in, vm, django_assert_num_queries):
    record_minutes(vm, 3)
    html = signed_in.get(reverse("vms:dashboard", args=[vm.pk])).content.decode()
    loader = html.index('hx-vals=\'{"part": "usage"}\'')
    assert loader < html.index("Quick glance")
    assert f'href="{reverse("vms:monitor", args=[vm.pk])}"' in html[loader:]
    # Session, user, the person's subscriptions, the VM, and the last hour's samples.
    with django_assert_num_queries(5):
        part = signed_in.get(reverse("vms:monitor", args=[vm.pk]), {"part": "usage"}, HTTP_HX_REQUEST="true")
    chart = part.content.decode()
    assert chart.lstrip().startswith('<section class="mb-3" aria-label="Usage">')
    assert 'id="chart-dashboard-data"' in chart


def test_sparklines_fill_each_slot_of_the_persons_vms_only(signed_in, vm, django_assert_num_queries):
    record_minutes(vm, 10)
    other = factories.VirtualMachineFactory()
    record_minutes(other, 10)
    url = reverse("monitor:cpu-sparklines") + f"?vm={vm.pk}&vm={other.pk}"
    # Session, user, the person's subscriptions, and the samples.
    with django_assert_num_queries(4):
        html = signed_in.get(url, headers={"HX-Request": "true"}).content.decode()
    assert f'hx-swap-oob="innerHTML:#cpu-sparkline-{vm.pk}"' in html
    assert 'aria-label="CPU over the last hour, now 42%"' in html
    assert html.count("<svg") == 1  # the stranger's VM gets an empty slot


def test_the_set_page_leaves_a_sparkline_slot_for_each_member(signed_in, subscription):
    availability_set = factories.AvailabilitySetFactory(cloud_service__subscription=subscription)
    member = factories.MembershipFactory(
        availability_set=availability_set, virtual_machine__cloud_service=availability_set.cloud_service
    ).virtual_machine
    html = signed_in.get(reverse("availability:detail", args=[availability_set.pk])).content.decode()
    assert f'id="cpu-sparkline-{member.pk}"' in html
    assert reverse("monitor:cpu-sparklines") in html
