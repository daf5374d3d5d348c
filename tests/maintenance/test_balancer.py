"""Host maintenance behind a real HAProxy: each round drains its load-balanced members once, and they come back ready.

The two hosts look like libvirt hosts to the portal (a SimulatedDriver stands in for libvirt), so the round's Shut down
and Start operations go through the fabric's carrier and its planned-operation guard, as on real hosts; the members'
servers are tiny HTTP servers on 127.0.0.1 and 127.0.0.2 that HAProxy checks.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from applications.services import application_create, role_add
from balancer import haproxy
from balancer.models import PublicAddress
from balancer.periodic import apply_changes
from endpoints.services import endpoint_create
from fabric import connections as fabric_connections
from fabric.drivers.simulated import SimulatedDriver, forget_hosts
from fabric.models import Placement
from fabric.operations import domain_spec
from maintenance.models import MaintenanceRun
from maintenance.selectors import RoundRequests, run_report
from maintenance.services import maintenance_plan, maintenance_start
from tests import factories
from tests.helpers.balancer import load_balancer
from tests.helpers.haproxy import free_port, wait_for
from tests.helpers.hosts import image_source, libvirt_host
from tests.helpers.lab import http_get
from tests.helpers.worker import worker_thread
from vms.models import VirtualMachine

pytestmark = pytest.mark.django_db(transaction=True)

RUN_TIMEOUT = 90
_macs = itertools.count(1)


def _http_server(address: str, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = address.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer((address, port), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, client: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def members_served() -> Iterator[tuple[int, list[str]]]:
    """HTTP on one port at 127.0.0.1 and 127.0.0.2: the two members' machines as HAProxy reaches them."""
    addresses = ["127.0.0.1", "127.0.0.2"]
    port = free_port()
    servers = [_http_server(address, port) for address in addresses]
    yield port, addresses
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def worker(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.LOAD_BALANCER_APPLY_SECONDS = 0.5
    settings.LOAD_BALANCER_DRAIN_SECONDS = 10
    settings.LOAD_BALANCER_READY_SECONDS = 20
    settings.MAINTENANCE_HOST_POLL_SECONDS = 0.1
    background, thread = worker_thread("maintenance-balancer-tests")
    yield thread
    background.running = False
    if thread.is_alive():
        thread.join(timeout=30)


def test_a_round_drains_each_load_balanced_member_once_before_its_shut_down_and_it_comes_back_ready(
    tmp_path, start_haproxy, members_served, worker, monkeypatch, subscription, user
):
    port, addresses = members_served
    forget_hosts()  # the simulated hosts' domains live in a registry per host name, kept by this process
    balancer = load_balancer(tmp_path)
    hosts = [libvirt_host(f"lb-h{number}", index=number) for number in (1, 2)]
    service = factories.CloudServiceFactory(subscription=subscription, region=balancer.region)
    web = factories.AvailabilitySetFactory(cloud_service=service, name="web")
    members = {}
    public_port, lb_set = free_port(), None
    for update_domain, (host, address) in enumerate(zip(hosts, addresses, strict=True)):
        vm = factories.MembershipFactory(
            availability_set=web,
            virtual_machine__name=f"web{update_domain + 1}",
            virtual_machine__cloud_service=service,
            virtual_machine__status=VirtualMachine.Status.RUNNING,
            update_domain=update_domain,
            fault_domain=update_domain,
        ).virtual_machine
        placement = Placement.objects.create(
            virtual_machine=vm,
            host=host,
            domain_name=f"portal-{vm.pk}",
            mac_address=f"52:54:00:aa:00:{next(_macs):02x}",
            address=address,
        )
        image_source(vm)
        driver = SimulatedDriver(host.name)
        driver.define(domain_spec(vm, placement))
        driver.start(placement.domain_name)
        joining = {"load_balanced_set": lb_set} if lb_set else {"load_balanced_set_name": "web"}
        member = endpoint_create(
            vm=vm,
            name="web",
            protocol="tcp",
            public_port=public_port,
            private_port=port,
            probe_protocol="http",
            probe_port=port,
            probe_path="/",
            probe_interval=5,
            probe_count=2,
            **joining,
        )
        lb_set = member.load_balanced_set
        members[placement.domain_name] = (f"set-{member.load_balanced_set_id}", f"endpoint-{member.pk}")
    application = application_create(subscription=subscription, name="Shop")
    role_add(application=application, name="Web", availability_set=web)

    start_haproxy("global\n    master-worker\n")
    assert apply_changes()[balancer.region.name].outcome == "applied"
    runtime = haproxy.RuntimeApi(balancer.runtime_socket)
    for server in members.values():
        wait_for(lambda server=server: runtime.server_state(*server).check_status == "L7OK", what="the first check")

    commands: list[tuple[str, str]] = []
    set_server_state = haproxy.RuntimeApi.set_server_state

    def recording(self, backend: str, server: str, state: str) -> None:
        commands.append((server, state))
        set_server_state(self, backend, server, state)

    monkeypatch.setattr(haproxy.RuntimeApi, "set_server_state", recording)
    at_shut_down: dict[str, dict[str, str]] = {}
    public = (PublicAddress.objects.get(cloud_service=service).address, public_port)

    def lose_a_request() -> None:
        """Take every member out for a moment, behind the portal's back, so that one client connection fails."""
        for backend, server in members.values():
            runtime.command(f"set server {backend}/{server} state maint")
        assert http_get(*public, timeout=5) == ""  # HAProxy had no server to give it
        for backend, server in members.values():
            runtime.command(f"set server {backend}/{server} state ready")
            wait_for(lambda b=backend, s=server: runtime.server_state(b, s).in_rotation, what="the member back")

    class Recording(SimulatedDriver):
        def shut_down(self, name: str, *, timeout: float) -> None:
            at_shut_down[members[name][1]] = {s: runtime.server_state(b, s).status for b, s in members.values()}
            if len(at_shut_down) == 2:
                lose_a_request()
            super().shut_down(name, timeout=timeout)

    fabric_connections.driver_factory_set(lambda host: Recording(host.name))
    try:
        run = maintenance_plan(hosts=hosts, scope="lb-h1, lb-h2", user=user)
        assert len(run.plan["rounds"]) == 2  # one update domain of the set per round
        maintenance_start(run=run, user=user)
        worker.start()
        wait_for(lambda: MaintenanceRun.objects.get(pk=run.pk).ended, timeout=RUN_TIMEOUT, what="the run's end")
    finally:
        fabric_connections.driver_factory_set(None)
        forget_hosts()
    run.refresh_from_db()
    assert run.status == MaintenanceRun.Status.COMPLETED, run.outcome

    first, second = (server for _, server in members.values())
    # Each member was drained once, before its machine shut down, while the other took the traffic.
    assert at_shut_down == {first: {first: "DRAIN", second: "UP"}, second: {first: "UP", second: "DRAIN"}}
    assert sorted(commands) == sorted([(first, "drain"), (first, "ready"), (second, "drain"), (second, "ready")])
    assert commands.index((first, "ready")) < commands.index((second, "drain"))
    # After the run HAProxy's checks keep both in rotation.
    assert all(runtime.server_state(*server).in_rotation for server in members.values())
    # The report counts, per round, the connections HAProxy failed for the application's sets.
    (shop,) = run_report(run, run.ended_at).applications
    assert shop.requests_lost == [RoundRequests(1, 0), RoundRequests(2, 1)]
