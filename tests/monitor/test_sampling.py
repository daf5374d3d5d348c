"""A sampling round: the simulated series for VMs on the simulated fabric, one bulk stats call per libvirt host."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fabric.models import Host, Rack
from monitor.models import MetricSample
from monitor.sampling import forget_readings, monitor_sample_round
from tests import factories
from tests.helpers.fabric import place_on_host
from tests.helpers.lab import require_libvirt
from vms.models import VirtualMachine

Status = VirtualMachine.Status


@pytest.fixture(autouse=True)
def fresh_readings():
    forget_readings()
    yield
    forget_readings()


def samples_of(vm) -> list[MetricSample]:
    return list(MetricSample.objects.filter(virtual_machine=vm).order_by("at"))


def test_a_round_samples_running_and_stopped_vms_and_skips_those_restarting(db, django_assert_num_queries):
    running = factories.VirtualMachineFactory(status=Status.RUNNING)
    stopped = factories.VirtualMachineFactory(status=Status.STOPPED)
    restarting = factories.VirtualMachineFactory(status=Status.RESTARTING)
    # The VMs with their placements, the libvirt hosts, and one insert for the whole round.
    with django_assert_num_queries(3):
        assert monitor_sample_round(now=timezone.now()) == 2
    assert samples_of(running)[0].cpu_percent > 0
    assert samples_of(stopped)[0].cpu_percent == 0
    assert samples_of(stopped)[0].net_in_bps == 0
    assert samples_of(restarting) == []


def test_a_restart_shows_as_a_gap_between_samples(db):
    vm = factories.VirtualMachineFactory(status=Status.RUNNING)
    start = timezone.now()
    for minute, status in enumerate([Status.RUNNING, Status.RESTARTING, Status.RESTARTING, Status.RUNNING]):
        VirtualMachine.objects.filter(pk=vm.pk).update(status=status)
        monitor_sample_round(now=start + timedelta(minutes=minute))
    assert [sample.at for sample in samples_of(vm)] == [start, start + timedelta(minutes=3)]


def test_the_round_costs_the_same_queries_with_many_vms(db, django_assert_num_queries):
    for _ in range(25):
        factories.VirtualMachineFactory(status=Status.RUNNING)
    with django_assert_num_queries(3):
        assert monitor_sample_round(now=timezone.now()) == 25


@pytest.fixture
def test_host(db):
    libvirt = require_libvirt()
    rack = Rack.objects.create(region=factories.region(), name="rack-test")
    host = Host.objects.create(
        rack=rack, name="test-default", uri="test:///default", cores=8, memory_mb=8192, subnet="10.254.9.0/24"
    )
    return libvirt, host


def test_a_libvirt_host_is_asked_once_per_round_for_all_its_domains(test_host, monkeypatch):
    libvirt, host = test_host
    calls = []
    original = libvirt.virConnect.getAllDomainStats

    def counted(conn, *args, **kwargs):
        calls.append(args)
        return original(conn, *args, **kwargs)

    monkeypatch.setattr(libvirt.virConnect, "getAllDomainStats", counted)
    on_host = factories.VirtualMachineFactory(status=Status.RUNNING)
    place_on_host(on_host, host, domain_name="test")  # test:///default's own running domain
    not_there_yet = factories.VirtualMachineFactory(status=Status.PROVISIONING)
    place_on_host(not_there_yet, host, domain_name="not-defined-yet")
    start = timezone.now()

    monitor_sample_round(now=start)
    assert len(calls) == 1
    assert samples_of(on_host) == []  # a first reading only records the counters

    monitor_sample_round(now=start + timedelta(minutes=1))
    assert len(calls) == 2
    [sample] = samples_of(on_host)
    assert sample.at == start + timedelta(minutes=1)
    assert (sample.cpu_percent, sample.disk_read_bps, sample.net_in_bps) == (
        0,
        0,
        0,
    )  # test:///default keeps no counters
    assert samples_of(not_there_yet) == []


def test_a_stopped_domain_on_a_libvirt_host_reads_zero(test_host):
    libvirt, host = test_host
    vm = factories.VirtualMachineFactory(status=Status.STOPPED)
    place_on_host(vm, host, domain_name="test")
    connection = libvirt.open("test:///default")
    domain = connection.lookupByName("test")
    domain.destroy()
    try:
        monitor_sample_round(now=timezone.now())
    finally:
        domain.create()
        connection.close()
    [sample] = samples_of(vm)
    assert (sample.cpu_percent, sample.disk_write_bps, sample.net_out_bps) == (0, 0, 0)
