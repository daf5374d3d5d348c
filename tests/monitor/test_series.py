"""The simulated series, rates from counters, buckets and gaps (monitor.series, pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fabric.drivers.base import DomainState, DomainStats
from monitor.series import (
    RUNNING_STATUSES,
    STOPPED_STATUSES,
    ZERO,
    Rates,
    bucketed,
    rates_between,
    simulated_rates,
    with_gaps,
)
from vms.models import VirtualMachine

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def test_a_running_vm_draws_the_same_plausible_series_every_time():
    first = [simulated_rates(vm_id=7, status="running", at=AT + timedelta(minutes=m)) for m in range(60)]
    again = [simulated_rates(vm_id=7, status="running", at=AT + timedelta(minutes=m)) for m in range(60)]
    assert first == again
    assert all(0 < rates.cpu_percent <= 100 for rates in first)
    assert all(min(rates.values()) > 0 for rates in first)
    assert len({rates.cpu_percent for rates in first}) > 10  # it moves


def test_two_vms_draw_different_series():
    assert simulated_rates(vm_id=1, status="running", at=AT) != simulated_rates(vm_id=2, status="running", at=AT)


@pytest.mark.parametrize("status", sorted(STOPPED_STATUSES))
def test_a_stopped_vm_reads_zero(status):
    assert simulated_rates(vm_id=7, status=status, at=AT) == ZERO


@pytest.mark.parametrize("status", ["starting", "restarting", "provisioning", "stopping", "deleting"])
def test_a_vm_between_states_leaves_a_gap(status):
    assert simulated_rates(vm_id=7, status=status, at=AT) is None


def test_every_status_of_a_vm_is_read_one_way_or_the_other():
    known = RUNNING_STATUSES | STOPPED_STATUSES | {"starting", "restarting", "provisioning", "stopping", "deleting"}
    assert set(VirtualMachine.Status.values) == known


def _stats(state=DomainState.RUNNING, **counters) -> DomainStats:
    return DomainStats(name="d", state=state, **counters)


def test_rates_come_from_the_difference_of_two_readings():
    before = _stats(cpu_time_ns=0, vcpus=2, disk_read_bytes=1000, net_out_bytes=0)
    after = _stats(cpu_time_ns=60 * 10**9, vcpus=2, disk_read_bytes=7000, net_out_bytes=600)
    rates = rates_between(before, after, 60)
    assert rates.cpu_percent == 50.0  # one of two vCPUs busy for the minute
    assert rates.disk_read_bps == 100.0
    assert rates.net_out_bps == 10.0


def test_counters_that_went_backwards_mean_a_restart_and_leave_a_gap():
    assert rates_between(_stats(cpu_time_ns=10**12), _stats(cpu_time_ns=10**9), 60) is None


def test_a_stopped_domain_reads_zero_and_its_first_running_reading_leaves_a_gap():
    assert rates_between(_stats(), _stats(state=DomainState.STOPPED), 60) == ZERO
    assert rates_between(_stats(state=DomainState.STOPPED), _stats(cpu_time_ns=5), 60) is None


def test_buckets_average_their_points_and_an_empty_bucket_is_a_gap():
    one, three = Rates(10, 0, 0, 0, 0), Rates(30, 0, 0, 0, 0)
    points = [(AT, one), (AT + timedelta(minutes=1), three), (AT + timedelta(minutes=10), one)]
    buckets = bucketed(points, start=AT, end=AT + timedelta(minutes=15), seconds=300)
    assert [at for at, _ in buckets] == [AT, AT + timedelta(minutes=5), AT + timedelta(minutes=10)]
    assert buckets[0][1].cpu_percent == 20
    assert buckets[1][1] is None
    assert buckets[2][1] == one


def test_samples_further_apart_than_the_gap_get_a_gap_between_them():
    points = [(AT, ZERO), (AT + timedelta(minutes=1), ZERO), (AT + timedelta(minutes=5), ZERO)]
    drawn = with_gaps(points, gap_seconds=150)
    assert [rates for _at, rates in drawn] == [ZERO, ZERO, None, ZERO]
