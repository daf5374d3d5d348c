"""Roll-ups to 5-minute points and retention (monitor.services)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.models import MetricSample
from monitor.series import Rates
from monitor.services import metric_samples_prune, metric_samples_record, metric_samples_roll_up
from tests import factories

START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
RAW = MetricSample.Resolution.RAW
ROLLUP = MetricSample.Resolution.FIVE_MINUTES


@pytest.fixture
def vm(db):
    return factories.VirtualMachineFactory()


def record_minutes(vm, minutes, cpu=lambda minute: minute):
    for minute in minutes:
        metric_samples_record(at=START + timedelta(minutes=minute), samples=[(vm.pk, Rates(cpu(minute), 1, 2, 3, 4))])


def rollups():
    return list(MetricSample.objects.filter(resolution=ROLLUP).order_by("at").values_list("at", "cpu_percent"))


def test_closed_buckets_roll_up_to_their_averages_once(vm, settings):
    settings.MONITOR_SAMPLE_SECONDS = 60
    record_minutes(vm, range(12))
    now = START + timedelta(minutes=12)
    assert metric_samples_roll_up(now=now) == 2  # 12:00 and 12:05; 12:10 is still filling
    assert rollups() == [(START, 2.0), (START + timedelta(minutes=5), 7.0)]
    assert metric_samples_roll_up(now=now) == 0
    assert metric_samples_roll_up(now=START + timedelta(minutes=16)) == 1
    assert rollups()[-1] == (START + timedelta(minutes=10), 10.5)


def test_a_bucket_with_no_samples_gets_no_roll_up(vm, settings):
    settings.MONITOR_SAMPLE_SECONDS = 60
    record_minutes(vm, [0, 1, 11])
    metric_samples_roll_up(now=START + timedelta(minutes=20))
    assert [at for at, _cpu in rollups()] == [START, START + timedelta(minutes=10)]


def test_retention_drops_raw_samples_after_hours_and_roll_ups_after_days(vm, settings):
    settings.MONITOR_SAMPLE_SECONDS = 60
    settings.MONITOR_RAW_RETENTION_HOURS = 1
    settings.MONITOR_ROLLUP_RETENTION_DAYS = 2
    record_minutes(vm, range(0, 120, 5))
    metric_samples_roll_up(now=START + timedelta(hours=3))
    metric_samples_prune(now=START + timedelta(hours=2, minutes=1))
    raw = MetricSample.objects.filter(resolution=RAW)
    assert raw.earliest("at").at == START + timedelta(hours=1, minutes=5)
    assert MetricSample.objects.filter(resolution=ROLLUP).count() == 24
    metric_samples_prune(now=START + timedelta(days=2, hours=1))
    assert MetricSample.objects.filter(resolution=ROLLUP).earliest("at").at == START + timedelta(hours=1)
