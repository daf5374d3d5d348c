"""End to end on real guests behind a real HAProxy: the lab's two hosts and its HAProxy, run by the portal's worker.

An HTTP client sends requests through the cloud service's public port for the whole test: a planned restart of one
member (drained first) loses none, a rack failure (its member's qemu killed) loses only what HAProxy sends it until
its check takes it out (fall x inter), the cloud service page shows the member out of rotation and back once healed,
and with both members shut down it says the port is down. Everything it starts it stops; every wait is bounded.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.urls import reverse

from applications.models import Drill
from applications.services import application_create, drill_start, role_add
from balancer import haproxy
from balancer.models import PublicAddress
from endpoints.models import Endpoint, ProbeProtocol, Protocol, RotationChange
from endpoints.services import endpoint_create, endpoint_delete
from fabric.lab.hosts import recorded_balancer
from fabric.models import Placement
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
from vms.services.machines import vm_restart, vm_shut_down

pytestmark = [
    pytest.mark.real_guests,
    pytest.mark.django_db(transaction=True),
]

BOOT_TIMEOUT = 90
PROBE_INTERVAL = 5
PROBE_COUNT = 2
REQUEST_INTERVAL = 0.05
REQUEST_TIMEOUT = 2.0
# HAProxy checks every inter seconds from a phase of its own, and a check of a machine that is gone may take until
# its connect timeout (5 s): the failure is seen by at most one interval and a timeout after fall x inter.
CHECK_SLACK = PROBE_INTERVAL + 5 + REQUEST_TIMEOUT
# The rack stays down past HAProxy's check taking its member out.
FAILURE_SECONDS = 30


@pytest.fixture
def worker(settings):
    settings.LOAD_BALANCER_APPLY_SECONDS = 1
    settings.ENDPOINT_PROBE_MIN_INTERVAL_SECONDS = PROBE_INTERVAL
    yield from lab_worker(settings, "real-balancer-tests")


def get(address: str, port: int, *, timeout: float = REQUEST_TIMEOUT) -> str | None:
    """Return the response to GET / at address:port when its status is 200, else None."""
    response = http_get(address, port, timeout=timeout)
    return response if response is not None and re.match(r"HTTP/1\.[01] 200 ", response) else None


@dataclass
class Client:
    """Sends GET / through the public port every REQUEST_INTERVAL s, at most `limit` times or `seconds` long."""

    address: str
    port: int
    limit: int = 8000
    seconds: float = 400
    sent: list[tuple[float, str | None]] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        deadline = time.monotonic() + self.seconds
        while not self.stop.is_set() and len(self.sent) < self.limit and time.monotonic() < deadline:
            at = time.monotonic()
            response = get(self.address, self.port)
            self.sent.append((at, response))
            self.stop.wait(max(0.0, REQUEST_INTERVAL - (time.monotonic() - at)))

    def failures(self, since: float, until: float | None = None) -> list[float]:
        return [
            at for at, response in list(self.sent) if response is None and at >= since and (until is None or at < until)
        ]

    def count(self, since: float, until: float) -> int:
        return sum(1 for at, _ in list(self.sent) if since <= at < until)

    def lost_during(self, what: str, since: float, until: float) -> list[float]:
        """Print and return the requests lost from `since` to `until` while `what` happened (predicted: none)."""
        lost = self.failures(since, until)
        assert self.count(since, until), f"the client sent no request during {what}: it stopped too early"
        print(f"{what}: {len(lost)} of {self.count(since, until)} requests lost (predicted 0), {until - since:.1f} s")
        return lost


def _sets_part(client, cloud_service_id: int) -> str:
    url = reverse("endpoints:cloud-service", args=[cloud_service_id])
    return client.get(url, {"part": "sets"}, headers={"HX-Request": "true"}).content.decode()


def _diagnosis(client, cloud_service_id: int, balancer) -> str:
    """Say what HAProxy, the rotation history and the page show, for a failed wait."""
    try:
        states = haproxy.RuntimeApi(balancer.runtime_socket).servers_state()
    except (haproxy.HAProxyError, OSError) as error:
        states = error
    history = list(RotationChange.objects.values_list("endpoint_id", "in_rotation", "at"))
    return f"HAProxy: {states}; history: {history}; page: {_sets_part(client, cloud_service_id)}"


def _in_rotation_on_page(page: str, vm_name: str) -> bool | None:
    """Read the member's In Rotation cell on the cloud service page: True, False, or None before its first probe."""
    row = re.search(rf'<th scope="row">{re.escape(vm_name)}</th>\s*<td>[^<]*</td>\s*<td>(.*?)</td>', page, re.S)
    assert row, f"no row for {vm_name} on the page"
    if ">Yes<" in row.group(1):
        return True
    if ">No<" in row.group(1):
        return False
    return None


def test_a_planned_restart_loses_no_request_and_a_rack_failure_only_those_of_fall_times_inter(
    lab, settings, worker, subscription, user, signed_in
):
    background, thread = worker
    region = factories.region()
    balancer = recorded_balancer(lab.workdir)
    assert balancer is not None, "the lab started no HAProxy"
    lab_region_take_over(lab, region, balancer=True)
    image = ImageVersion.objects.get(fabric_source__isnull=False)
    web1 = lab_deploy(
        user, subscription, image, "web1", dns_name="lbweb", region=region, availability_set_name="webset"
    )
    web2 = lab_deploy(
        user,
        subscription,
        image,
        "web2",
        cloud_service=web1.cloud_service,
        availability_set=web1.membership.availability_set,
    )
    cloud_service_id = web1.cloud_service_id
    client = Client(address="", port=80)
    client_thread = None
    thread.start()
    try:
        for vm in (web1, web2):
            vm_address = Placement.objects.get(virtual_machine=vm).address
            assert wait_until(lambda a=vm_address: get(a, 80), timeout=BOOT_TIMEOUT), (
                f"{vm.name} never answered HTTP at {vm_address}; operations: {operations_summary()}"
            )

        # An endpoint change reaches HAProxy: a stand-alone endpoint answers on its public port once applied.
        changed = time.monotonic()
        with transaction.atomic():
            alone = endpoint_create(vm=web1, name="alone", protocol=Protocol.TCP, public_port=8080, private_port=80)
        public = wait_until(lambda: PublicAddress.objects.filter(cloud_service_id=cloud_service_id).first(), timeout=30)
        assert public, "the cloud service got no public address"
        address = public.address
        assert wait_until(lambda: get(address, 8080, timeout=0.5), timeout=30, interval=0.05)
        print(f"\nendpoint change to HAProxy serving it: {time.monotonic() - changed:.2f} s")
        # The change's operation ends once HAProxy runs it.
        assert wait_until(
            lambda: Operation.objects.filter(
                title="Adding endpoint alone to web1", status=Operation.Status.SUCCEEDED
            ).exists(),
            timeout=10,
        ), operations_summary()
        with transaction.atomic():
            endpoint_delete(endpoint=alone)

        with transaction.atomic():
            for vm in (web1, web2):
                endpoint_create(
                    vm=vm,
                    name="web",
                    protocol=Protocol.TCP,
                    public_port=80,
                    private_port=80,
                    load_balanced_set=None
                    if vm is web1
                    else Endpoint.objects.get(virtual_machine=web1, name="web").load_balanced_set,
                    load_balanced_set_name="webfarm" if vm is web1 else "",
                    probe_protocol=ProbeProtocol.HTTP,
                    probe_port=80,
                    probe_path="/",
                    probe_interval=PROBE_INTERVAL,
                    probe_count=PROBE_COUNT,
                )

        def answered_by() -> set[str]:
            names = set()
            for _ in range(6):
                response = get(address, 80)
                names |= {name for name in ("web1", "web2") if response and name in response}
            return names

        assert wait_until(lambda: answered_by() == {"web1", "web2"}, timeout=BOOT_TIMEOUT + 30, interval=1), (
            f"HAProxy never served both members at {address}:80; operations: {operations_summary()}"
        )

        client = Client(address=address, port=80)
        client_thread = threading.Thread(target=client.run, name="balanced-client", daemon=True)
        client_thread.start()

        # A planned restart of web1: drained first, so no request is lost.
        restart_started = time.monotonic()
        with transaction.atomic():
            operation = vm_restart(vm=VirtualMachine.objects.get(pk=web1.pk), user=user)
        assert wait_until(
            lambda: Operation.objects.filter(pk=operation.pk, status=Operation.Status.SUCCEEDED).exists(),
            timeout=BOOT_TIMEOUT + 60,
            interval=0.5,
        ), operations_summary()
        assert wait_until(lambda: "web1" in answered_by(), timeout=30, interval=0.5)
        assert client.lost_during("planned restart of web1", restart_started, time.monotonic()) == []

        # An update-domain walk of the application (the maintenance drill): each update domain's member is drained,
        # updated (stopped and started) and put back in rotation before the next one, so no request is lost.
        application = application_create(subscription=subscription, name="lbapp")
        role_add(application=application, name="web", availability_set=web1.membership.availability_set)
        assert wait_until(
            lambda: all(_in_rotation_on_page(_sets_part(signed_in, cloud_service_id), n) for n in ("web1", "web2")),
            timeout=30,
        ), _diagnosis(signed_in, cloud_service_id, balancer)
        walk_started = time.monotonic()
        with transaction.atomic():
            walk = drill_start(application=application, kind=Drill.Kind.WALK, user=user)
        assert len(walk.plan) == 2, walk.plan
        assert wait_until(
            lambda: not Drill.objects.get(pk=walk.pk).running, timeout=2 * (BOOT_TIMEOUT + 60), interval=0.5
        ), operations_summary()
        walk.refresh_from_db()
        assert walk.status == Drill.Status.COMPLETED, walk.outcome
        assert walk.predicted_survives and not walk.went_down
        assert wait_until(lambda: answered_by() == {"web1", "web2"}, timeout=30, interval=0.5)
        walked = f"update-domain walk ({len(walk.plan)} update domains)"
        assert client.lost_during(walked, walk_started, time.monotonic()) == []

        # A rack failure of web2's fault domain (a drill: its qemu is killed, power cut, and kept down long enough
        # for HAProxy's check to act before the drill starts it again). HAProxy sends web2 requests until fall x
        # inter of failed checks.
        # The assessment predicts from the rotation the portal has read from HAProxy: both members in it first.
        assert wait_until(
            lambda: all(_in_rotation_on_page(_sets_part(signed_in, cloud_service_id), n) for n in ("web1", "web2")),
            timeout=30,
        ), _diagnosis(signed_in, cloud_service_id, balancer)
        killed = time.monotonic()
        with transaction.atomic():
            drill = drill_start(
                application=application,
                kind=Drill.Kind.RACK_FAILURE,
                fault_domain=web2.membership.fault_domain,
                failure_seconds=FAILURE_SECONDS,
                user=user,
            )
        assert set(VirtualMachine.objects.filter(pk__in=drill.plan[0]["vms"]).values_list("name", flat=True)) == {
            "web2"
        }
        assert wait_until(
            lambda: _in_rotation_on_page(_sets_part(signed_in, cloud_service_id), "web2") is False, timeout=60
        ), f"the page never showed web2 out of rotation: {_diagnosis(signed_in, cloud_service_id, balancer)}"
        out_seconds = time.monotonic() - killed
        assert wait_until(
            lambda: _in_rotation_on_page(_sets_part(signed_in, cloud_service_id), "web2") is True,
            timeout=FAILURE_SECONDS + BOOT_TIMEOUT,
            interval=0.5,
        ), f"the page never showed web2 back in rotation; operations: {operations_summary()}"
        back = time.monotonic()
        lost = client.failures(killed, back)
        window = PROBE_COUNT * PROBE_INTERVAL
        print(
            f"rack failure (web2's power cut for {FAILURE_SECONDS} s): {len(lost)} of {client.count(killed, back)} "
            f"requests lost, predicted at most {window / REQUEST_INTERVAL:.0f} (fall {PROBE_COUNT} x inter "
            f"{PROBE_INTERVAL} s / {REQUEST_INTERVAL * 1000:.0f} ms); out of rotation on the page after "
            f"{out_seconds:.1f} s, back after {back - killed:.1f} s"
        )
        assert lost, "cutting a member's power lost no request: HAProxy's check did not matter"
        assert max(lost) - killed <= window + CHECK_SLACK, [round(at - killed, 2) for at in lost]
        # The drill's report: web2 stopped, the application stayed up as predicted, and it ends once web2 is back
        # in rotation.
        assert wait_until(lambda: not Drill.objects.get(pk=drill.pk).running, timeout=60), operations_summary()
        drill.refresh_from_db()
        assert drill.status == Drill.Status.COMPLETED, drill.outcome
        assert drill.predicted_survives and not drill.went_down
        texts = list(drill.events.order_by("at", "pk").values_list("text", flat=True))
        print("drill report: " + " | ".join(texts))
        assert any("web2 stopped (fabric failure)" in text for text in texts), texts
        client.stop.set()
        client_thread.join(timeout=10)
        assert client.count(back, time.monotonic()), "the client stopped before web2 was back"
        assert client.failures(back) == []

        # Both members shut down: the set has no member in rotation and the page says its port is down.
        with transaction.atomic():
            shut = [vm_shut_down(vm=VirtualMachine.objects.get(pk=vm.pk), user=user) for vm in (web1, web2)]
        assert wait_until(
            lambda: (
                Operation.objects.filter(pk__in=[o.pk for o in shut], status=Operation.Status.SUCCEEDED).count() == 2
            ),
            timeout=120,
            interval=0.5,
        ), operations_summary()
        assert wait_until(
            lambda: "down: no member is in rotation" in _sets_part(signed_in, cloud_service_id), timeout=30
        ), _sets_part(signed_in, cloud_service_id)
        assert get(address, 80) is None
    finally:
        client.stop.set()
        if client_thread is not None:
            client_thread.join(timeout=10)
        background.running = False
        thread.join(timeout=30)
        lab_machines_remove()
