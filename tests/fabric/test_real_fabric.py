"""End to end on real guests: the lab's two hosts in two racks, VMs deployed through the portal and run by the worker.

A rack failure takes down exactly the VM on that rack's host, seen by the hosts' events and a TCP probe, and service
healing brings it back; a guest whose qemu is killed is seen and healed with no page open. Everything it starts it
stops; every wait is bounded.
"""

from __future__ import annotations

import ipaddress
import os
import signal
import time
from pathlib import Path

import pytest
from django.db import transaction

from applications.models import Drill
from applications.services import application_create, drill_start, role_add
from fabric.models import Host, Placement
from fabric.probes import Probe, probe_answers
from tests import factories
from tests.helpers.lab import (
    http_get,
    lab_deploy,
    lab_machines_remove,
    lab_region_take_over,
    lab_worker,
    operations_summary,
    wait_until,
)
from vms.models import ImageVersion, Operation, VirtualMachine

pytestmark = [
    pytest.mark.real_guests,
    pytest.mark.django_db(transaction=True),
]

BOOT_TIMEOUT = 90


@pytest.fixture
def worker(settings):
    yield from lab_worker(settings, "real-fabric-tests")


def test_two_vms_boot_a_rack_failure_drill_takes_down_the_predicted_one_and_healing_and_kill_recovery_work(
    lab, settings, worker, subscription, user
):
    background, thread = worker
    region = factories.region()
    lab_region_take_over(lab, region)  # the region's hosts are the lab's alone
    image = ImageVersion.objects.get(fabric_source__isnull=False)
    web1 = lab_deploy(
        user, subscription, image, "web1", dns_name="labweb", region=region, availability_set_name="webset"
    )
    web2 = lab_deploy(
        user,
        subscription,
        image,
        "web2",
        cloud_service=web1.cloud_service,
        availability_set=web1.membership.availability_set,
    )
    vms = {vm.name: vm for vm in (web1, web2)}
    # The deploy spreads the set's fault domains over the racks: one VM per rack, each on its host's network.
    racks = {vm.placement.host.rack_id for vm in vms.values()}
    assert racks == set(Host.objects.filter(rack__region=region).values_list("rack_id", flat=True))
    assert len(racks) == 2
    for vm in vms.values():
        assert ipaddress.IPv4Address(vm.placement.address) in ipaddress.IPv4Network(vm.placement.host.subnet)
    address = {name: vm.placement.address for name, vm in vms.items()}
    started = time.monotonic()
    thread.start()
    try:
        for name in vms:
            answered = wait_until(lambda a=address[name]: http_get(a), timeout=BOOT_TIMEOUT)
            assert answered, f"{name} never answered HTTP at {address[name]}; operations: {operations_summary()}"
            assert name in answered  # the guest names itself: it is the machine deployed under this name
        boot_seconds = time.monotonic() - started
        print(f"\nboot of 2 test guests (deploy to answering HTTP): {boot_seconds:.1f} s")
        assert wait_until(
            lambda: set(VirtualMachine.objects.values_list("status", flat=True)) == {VirtualMachine.Status.RUNNING},
            timeout=30,
        ), operations_summary()
        assert wait_until(
            lambda: set(Placement.objects.values_list("observed_state", flat=True)) == {"running"}, timeout=15
        )

        # A rack-failure drill of web1's fault domain on the application made of the set.
        application = application_create(subscription=subscription, name="labapp")
        role_add(application=application, name="web", availability_set=web1.membership.availability_set)
        fault_domain = web1.membership.fault_domain
        chosen_seconds = 5
        with transaction.atomic():
            drill = drill_start(
                application=application,
                kind=Drill.Kind.RACK_FAILURE,
                fault_domain=fault_domain,
                failure_seconds=chosen_seconds,
                user=user,
            )
        failure_started = time.monotonic()
        predicted_vms = {vm.name for vm in VirtualMachine.objects.filter(pk__in=drill.plan[0]["vms"])}
        assert predicted_vms == {"web1"}
        assert drill.predicted_survives  # the set keeps web2 on the other rack
        tcp = {name: Probe(address=a, port=80) for name, a in address.items()}
        down = wait_until(
            lambda: {n for n, probe in tcp.items() if not probe_answers(probe, timeout=0.5)}, timeout=30, interval=0.1
        )
        assert down == predicted_vms, operations_summary()
        assert wait_until(
            lambda: Placement.objects.filter(virtual_machine=web1, observed_state="stopped").exists(), timeout=15
        ), "the host's stop event was not recorded"
        assert Placement.objects.get(virtual_machine=web2).observed_state == "running"
        assert http_get(address["web2"])
        back = wait_until(lambda: probe_answers(tcp["web1"], timeout=0.5), timeout=BOOT_TIMEOUT, interval=0.2)
        downtime = time.monotonic() - failure_started
        assert back, f"service healing did not bring web1 back; operations: {operations_summary()}"
        print(f"rack-failure drill of {chosen_seconds} s chosen: web1 down {downtime:.1f} s until it answered again")
        assert downtime >= chosen_seconds
        assert wait_until(lambda: not Drill.objects.get(pk=drill.pk).running, timeout=60), operations_summary()
        drill.refresh_from_db()
        assert drill.status == Drill.Status.COMPLETED, drill.outcome
        # The report: what the assessment predicted is what was observed.
        assert (drill.went_down, drill.observed_down) == (not drill.predicted_survives, drill.predicted_down)
        print(
            f"drill report: predicted {'survives' if drill.predicted_survives else 'down'}, observed "
            f"{'down' if drill.went_down else 'up'}; application down {drill.down_seconds:.1f} s"
        )
        texts = list(drill.events.order_by("at", "pk").values_list("text", flat=True))
        assert any("web1 stopped (fabric failure)" in text for text in texts), texts
        assert wait_until(
            lambda: Placement.objects.filter(virtual_machine=web1, observed_state="running").exists(), timeout=15
        )

        # kill -9 of web2's qemu: the watcher sees it and service healing starts it again, with no page open.
        placement2 = Placement.objects.select_related("host").get(virtual_machine=web2)
        lab_host = next(h for h in lab.hosts if h.name == placement2.host.name)
        pid = int(Path(lab_host.run_path, "qemu", f"{placement2.domain_name}.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        assert wait_until(
            lambda: Operation.objects.filter(
                virtual_machine=web2, kind=Operation.Kind.FABRIC_FAILURE, title__contains="stopped by itself"
            ).exists(),
            timeout=30,
        ), f"the killed guest was not seen; operations: {operations_summary()}"
        assert wait_until(lambda: http_get(address["web2"]), timeout=BOOT_TIMEOUT), "web2 was not healed"
        assert wait_until(
            lambda: VirtualMachine.objects.filter(pk=web2.pk, status=VirtualMachine.Status.RUNNING).exists(),
            timeout=30,
        )
    finally:
        background.running = False
        thread.join(timeout=30)
        lab_machines_remove()
