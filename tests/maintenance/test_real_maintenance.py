"""End to end on real guests: maintenance of a whole lab of four hosts in two racks behind the lab's HAProxy.

Two sets of two ExtraSmall lab guests (web behind the load balancer on port 80, data without), an application with
both roles, a client GETting the public port throughout: the run completes, no role ever loses every member, and
HAProxy fails no request. Everything it starts it stops; every wait is bounded.
"""

from __future__ import annotations

import threading

import pytest

from applications.services import application_create, role_add
from balancer.models import PublicAddress
from endpoints.models import Endpoint
from endpoints.services import endpoint_create
from fabric.models import Host, Placement
from maintenance.models import MaintenanceRun
from maintenance.selectors import run_report
from maintenance.services import maintenance_plan, maintenance_start
from tests import factories
from tests.helpers.lab import (
    http_get,
    lab_deploy,
    lab_machines_remove,
    lab_region_take_over,
    operations_summary,
    wait_until,
)
from tests.helpers.worker import worker_thread
from vms.models import ImageVersion, VirtualMachine

pytestmark = [pytest.mark.real_guests, pytest.mark.django_db(transaction=True)]

BOOT_TIMEOUT = 120
RUN_TIMEOUT = 600
CLIENT_PAUSE = 0.2


def test_maintenance_of_all_four_hosts_keeps_the_application_up_and_loses_no_request(
    lab_of_four, settings, subscription, user
):
    lab = lab_of_four
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.FABRIC_START_TIMEOUT_SECONDS = 90
    settings.LOAD_BALANCER_APPLY_SECONDS = 1
    settings.LOAD_BALANCER_READY_SECONDS = 120
    settings.MAINTENANCE_HOST_POLL_SECONDS = 0.5
    region = factories.region()
    hosts = lab_region_take_over(lab, region, balancer=True)
    image = ImageVersion.objects.get(fabric_source__isnull=False)
    web1 = lab_deploy(user, subscription, image, "web1", dns_name="labshop", region=region, availability_set_name="web")
    service = web1.cloud_service
    web2 = lab_deploy(
        user, subscription, image, "web2", cloud_service=service, availability_set=web1.membership.availability_set
    )
    data1 = lab_deploy(user, subscription, image, "data1", cloud_service=service, availability_set_name="data")
    data2 = lab_deploy(
        user, subscription, image, "data2", cloud_service=service, availability_set=data1.membership.availability_set
    )
    vms = [web1, web2, data1, data2]
    web_set, members = None, []
    for vm in (web1, web2):
        joining = {"load_balanced_set": web_set} if web_set else {"load_balanced_set_name": "web"}
        member = endpoint_create(
            vm=vm,
            name="web",
            protocol="tcp",
            public_port=80,
            private_port=80,
            probe_protocol="http",
            probe_port=80,
            probe_path="/",
            probe_interval=5,
            probe_count=2,
            **joining,
        )
        web_set = member.load_balanced_set
        members.append(member)
    application = application_create(subscription=subscription, name="labshop")
    role_add(application=application, name="Web", availability_set=web1.membership.availability_set)
    role_add(application=application, name="Data", availability_set=data1.membership.availability_set)

    background, worker = worker_thread("real-maintenance-tests")
    stop_client = threading.Event()
    outcomes: list[bool] = []

    def client(address: str) -> None:
        while not stop_client.is_set():
            response = http_get(address, 80, timeout=5)
            outcomes.append(response is not None and "200" in response.split("\r\n", 1)[0])
            stop_client.wait(CLIENT_PAUSE)

    client_thread = None
    worker.start()
    try:
        addresses = {vm.name: Placement.objects.get(virtual_machine=vm).address for vm in vms}
        for name, address in addresses.items():
            assert wait_until(lambda a=address: http_get(a), timeout=BOOT_TIMEOUT), f"{name}: {operations_summary()}"
        assert wait_until(
            lambda: set(VirtualMachine.objects.values_list("status", flat=True)) == {VirtualMachine.Status.RUNNING},
            timeout=60,
        ), operations_summary()
        public = wait_until(
            lambda: PublicAddress.objects.filter(cloud_service=service).values_list("address", flat=True).first(),
            timeout=30,
        )
        assert public, "the cloud service got no public address"
        # Both members in HAProxy's rotation: the client's requests reach web1 and web2.
        seen: set[str] = set()

        def both_answer() -> bool:
            body = http_get(public, 80, timeout=5) or ""
            seen.update(name for name in ("web1", "web2") if name in body)
            return seen == {"web1", "web2"}

        assert wait_until(both_answer, timeout=60, interval=0.3), f"only {seen} answered through HAProxy"

        # The portal's rotation (read from HAProxy by the probe round) has both members in too: the plan counts them up.
        assert wait_until(
            lambda: all(Endpoint.objects.get(pk=member.pk).in_rotation for member in members), timeout=30
        ), "the portal never saw both members in rotation"
        run = maintenance_plan(hosts=hosts, scope="the lab's four hosts", user=user)
        assert not run.plan["unplaceable"], run.plan
        client_thread = threading.Thread(target=client, args=(public,), daemon=True)
        client_thread.start()
        maintenance_start(run=run, user=user)
        assert wait_until(lambda: MaintenanceRun.objects.get(pk=run.pk).ended, timeout=RUN_TIMEOUT, interval=1), (
            f"the run did not end; operations: {operations_summary()}"
        )
        stop_client.set()
        client_thread.join(timeout=30)
        run.refresh_from_db()
        assert run.status == MaintenanceRun.Status.COMPLETED, f"{run.outcome}; operations: {operations_summary()}"
        assert set(Host.objects.filter(rack__region=region).values_list("state", flat=True)) == {"available"}
        (report,) = run_report(run, run.ended_at).applications
        # No role lost every member at any moment of the run, as predicted.
        assert report.predicted_up and report.observed_up, report
        assert not run.events.exclude(down_roles={}).exists()
        # HAProxy failed no request in any round, and the client saw none fail.
        assert [counted.lost for counted in report.requests_lost] == [0] * len(run.plan["rounds"])
        assert outcomes and all(outcomes), f"{outcomes.count(False)} of {len(outcomes)} requests failed"
        print(f"\n{len(run.plan['rounds'])} rounds, {len(outcomes)} requests through HAProxy, none lost")
    finally:
        stop_client.set()
        if client_thread is not None:
            client_thread.join(timeout=30)
        background.running = False
        worker.join(timeout=30)
        lab_machines_remove()
