"""End to end on real guests: the lab's two hosts in two racks, VMs deployed through the portal and run by the worker.

A rack failure takes down exactly the VM on that rack's host, seen by the hosts' events and a TCP probe, and service
healing brings it back; a guest whose qemu is killed is seen and healed with no page open. Everything it starts it
stops; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path

import pytest
from django.db import connections, transaction

from console.services import virtual_machine_deploy
from fabric import connections as fabric_connections
from fabric.models import Placement
from fabric.probes import Probe, probe_answers
from fabric.services import lab_hosts_register
from fabric.watch import process_watcher
from portal.worker import PortalWorker
from tests import factories
from tests.helpers.lab import http_get, wait_until
from vms.models import ImageVersion, Operation, VirtualMachine
from vms.services.operations import operation_begin

pytestmark = [
    pytest.mark.real_guests,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skip(reason="unfinished: the guests defined through the driver do not answer HTTP yet"),
]

BOOT_TIMEOUT = 90


@pytest.fixture
def worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.FABRIC_START_TIMEOUT_SECONDS = 60
    background = PortalWorker(
        queue_names=["default"],
        interval=0.1,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="real-fabric-tests",
        excluded_queue_names=[],
    )

    def run() -> None:
        try:
            background.run()
        finally:
            connections.close_all()

    yield background, threading.Thread(target=run, name="portal-worker", daemon=True)
    background.running = False


def test_two_vms_boot_a_rack_failure_takes_down_the_predicted_one_and_healing_and_kill_recovery_work(
    lab, settings, worker, subscription, user
):
    background, thread = worker
    region = factories.region()
    hosts = lab_hosts_register(hosts=lab.hosts, region=region)
    image = ImageVersion.objects.get(fabric_source__isnull=False)
    first = virtual_machine_deploy(
        user=user,
        subscription=subscription,
        image_version=image,
        name="web1",
        admin_username="portaladmin",
        admin_password=factories.STRONG_PASSWORD,
        size=factories.size("ExtraSmall"),
        dns_name="labweb",
        region=region,
        availability_set_name="webset",
    )
    web1 = VirtualMachine.objects.get(pk=first.virtual_machine_id)
    second = virtual_machine_deploy(
        user=user,
        subscription=subscription,
        image_version=image,
        name="web2",
        admin_username="portaladmin",
        admin_password=factories.STRONG_PASSWORD,
        size=factories.size("ExtraSmall"),
        cloud_service=web1.cloud_service,
        availability_set=web1.membership.availability_set,
    )
    web2 = VirtualMachine.objects.get(pk=second.virtual_machine_id)
    # One VM per host and rack, as the deploy places them (fault domain i on rack i).
    placements = {}
    for index, (vm, host) in enumerate(zip((web1, web2), hosts, strict=True)):
        address = lab.hosts[index].guest_address(0).split("/")[0]
        placements[vm.name] = Placement.objects.create(
            virtual_machine=vm,
            host=host,
            domain_name=f"portal-{vm.pk}",
            mac_address=f"52:54:00:aa:00:{index:02x}",
            address=address,
        )
    started = time.monotonic()
    thread.start()
    try:
        for vm in (web1, web2):
            address = placements[vm.name].address
            answered = wait_until(lambda a=address: http_get(a), timeout=BOOT_TIMEOUT)
            log = list(Operation.objects.values_list("title", "status", "message"))
            assert answered, f"{vm.name} never answered HTTP at {address}; operations: {log}"
        boot_seconds = time.monotonic() - started
        print(f"\nboot of 2 test guests to answering HTTP: {boot_seconds:.1f} s")
        assert set(VirtualMachine.objects.values_list("status", flat=True)) == {VirtualMachine.Status.RUNNING}

        # A rack failure of rack0 (fault domain 0) for 5 seconds: web1 is the VM the assessment predicts down.
        failed_rack = hosts[0].rack
        predicted = {p.virtual_machine.name for p in Placement.objects.filter(host__rack=failed_rack)}
        assert predicted == {"web1"}
        chosen_seconds = 5
        failure_started = time.monotonic()
        with transaction.atomic():
            for vm in VirtualMachine.objects.select_for_update().filter(placement__host__rack=failed_rack):
                operation_begin(
                    vm=vm,
                    kind=Operation.Kind.FABRIC_FAILURE,
                    title=f"Rack failure: {failed_rack.name} takes down {vm.name}",
                    user=None,
                    details={"failure_seconds": chosen_seconds},
                )
        tcp = {name: Probe(address=p.address, port=80) for name, p in placements.items()}
        down = wait_until(
            lambda: {n for n, probe in tcp.items() if not probe_answers(probe, timeout=0.5)}, timeout=30, interval=0.1
        )
        assert down == predicted
        observed_down = wait_until(
            lambda: Placement.objects.filter(pk=placements["web1"].pk, observed_state="stopped").exists(), timeout=15
        )
        assert observed_down, "the host's stop event was not recorded"
        assert http_get(placements["web2"].address)
        back = wait_until(lambda: probe_answers(tcp["web1"], timeout=0.5), timeout=BOOT_TIMEOUT, interval=0.2)
        downtime = time.monotonic() - failure_started
        assert back, "service healing did not bring web1 back"
        print(f"rack failure of {chosen_seconds} s chosen: web1 observed down for {downtime:.1f} s until it answered")
        assert downtime >= chosen_seconds

        # kill -9 of web2's qemu: the watcher sees it and service healing starts it again, with no page open.
        host2 = lab.hosts[1]
        pid = int(Path(host2.run_path, "qemu", f"{placements['web2'].domain_name}.pid").read_text().strip())
        os.kill(pid, signal.SIGKILL)
        assert wait_until(
            lambda: Operation.objects.filter(
                virtual_machine=web2, kind=Operation.Kind.FABRIC_FAILURE, title__contains="stopped by itself"
            ).exists(),
            timeout=30,
        ), "the killed guest was not seen"
        assert wait_until(lambda: http_get(placements["web2"].address), timeout=BOOT_TIMEOUT), "web2 was not healed"
        assert wait_until(
            lambda: VirtualMachine.objects.filter(pk=web2.pk, status=VirtualMachine.Status.RUNNING).exists(),
            timeout=30,
        )
    finally:
        background.running = False
        thread.join(timeout=30)
        for placement in Placement.objects.select_related("host"):
            with contextlib.suppress(Exception):  # best effort: the lab's teardown removes everything anyway
                fabric_connections.host_driver(placement.host).undefine(placement.domain_name)
        fabric_connections.drivers_close()
        process_watcher().close()
