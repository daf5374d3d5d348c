"""HAProxy decides the rotation of the sets it carries, and a planned operation drains a member first."""

from __future__ import annotations

import socket
import threading

import pytest
from django.test import override_settings
from django.utils import timezone

from balancer import haproxy
from balancer.config import set_rotation
from balancer.periodic import apply_changes
from balancer.rotation import drained, members_drain, members_drained
from balancer.selectors import DrainTarget, drain_targets
from endpoints.models import RotationChange
from endpoints.probes import load_balanced_sets_probe
from endpoints.services import endpoint_create
from tests.factories import VirtualMachineFactory
from tests.helpers.balancer import load_balancer
from tests.helpers.fabric import place_at_address
from tests.helpers.haproxy import free_port, wait_for
from vms.models import Operation, VirtualMachine

pytestmark = pytest.mark.django_db


def test_set_rotation_maps_servers_back_to_sets_and_members():
    servers = [
        ("set-4", "endpoint-7", True),
        ("set-4", "endpoint-8", False),
        ("endpoint-9", "endpoint-9", True),  # a stand-alone endpoint: no set
        ("stats", "other", True),
    ]
    assert set_rotation(servers) == (frozenset({4}), {7: True, 8: False})


def test_a_drain_reads_each_load_balancers_servers_once_per_poll(monkeypatch):
    """The sessions of every member behind one load balancer come from one ``show stat``, summed over the members."""
    reads = []
    servers = [
        haproxy.ServerState("set-1", "endpoint-1", "DRAIN", 2, ""),
        haproxy.ServerState("set-2", "endpoint-2", "DRAIN", 1, ""),
        haproxy.ServerState("set-3", "endpoint-3", "UP", 5, ""),  # another VM's: not waited for
    ]

    def servers_state(api):
        reads.append(api.socket_path)
        return [] if api.socket_path == "/b.sock" else servers

    monkeypatch.setattr(haproxy.RuntimeApi, "servers_state", servers_state)
    monkeypatch.setattr(haproxy.RuntimeApi, "set_server_state", lambda api, backend, server, state: None)
    targets = [
        DrainTarget("/a.sock", "set-1", "endpoint-1", None),
        DrainTarget("/a.sock", "set-2", "endpoint-2", None),
        DrainTarget("/b.sock", "set-9", "endpoint-9", None),
    ]
    assert not members_drain(targets, seconds=0)
    assert sorted(reads) == ["/a.sock", "/b.sock"]
    servers[:2] = [
        haproxy.ServerState("set-1", "endpoint-1", "DRAIN", 0, ""),
        haproxy.ServerState("set-2", "endpoint-2", "DRAIN", 0, ""),
    ]
    assert members_drain(targets, seconds=0)


@pytest.fixture
def carried_member(tmp_path, start_haproxy, backends):
    """A running VM with one member of set "web" HAProxy carries: GET /health every 5 s, out after 2 failures."""
    balancer = load_balancer(tmp_path)
    vm = VirtualMachineFactory(status=VirtualMachine.Status.RUNNING)
    place_at_address(vm, "127.0.0.1")
    web = backends[0]
    member = endpoint_create(
        vm=vm,
        name="web",
        protocol="tcp",
        public_port=free_port(),
        private_port=web.port,
        load_balanced_set_name="web",
        probe_protocol="http",
        probe_port=web.port,
        probe_path="/health",
        probe_interval=5,
        probe_count=2,
    )
    start_haproxy("global\n    master-worker\n")
    assert apply_changes()[balancer.region.name].outcome == "applied"
    runtime = haproxy.RuntimeApi(balancer.runtime_socket)
    server = (f"set-{member.load_balanced_set_id}", f"endpoint-{member.pk}")
    wait_for(lambda: runtime.server_state(*server).check_status == "L7OK", what="the first check")
    return member, web, runtime, server


def in_rotation_after_a_round(member) -> bool:
    load_balanced_sets_probe(now=timezone.now())
    member.refresh_from_db()
    return member.in_rotation


def test_the_probe_round_takes_the_rotation_of_a_carried_set_from_haproxy(carried_member):
    member, web, runtime, server = carried_member
    assert in_rotation_after_a_round(member)

    # The VM is Running, so the portal's own probe would keep it in; HAProxy's check says the page fails.
    web.healthy = False
    wait_for(lambda: not runtime.server_state(*server).in_rotation, what="HAProxy to take the member out")
    assert not in_rotation_after_a_round(member)
    web.healthy = True
    wait_for(lambda: runtime.server_state(*server).in_rotation, what="HAProxy to bring the member back")
    assert in_rotation_after_a_round(member)

    history = list(RotationChange.objects.filter(endpoint=member).values_list("in_rotation", flat=True))
    assert history == [True, False, True]


def test_a_planned_restart_drains_the_member_until_its_sessions_end_and_puts_it_back(carried_member):
    member, _web, runtime, server = carried_member
    (target,) = drain_targets(member.virtual_machine_id)
    address = member.cloud_service.public_address.address
    held = socket.create_connection((address, member.public_port), timeout=5)
    wait_for(lambda: runtime.sessions(*server) == 1, what="the held session")
    inside = threading.Event()
    seen: dict[str, object] = {}

    def restart() -> None:
        # The worker's thread has its own database connection: it is given the targets read here.
        with members_drained([target], kind=Operation.Kind.RESTART, name="vm"):
            state = runtime.server_state(*server)
            seen.update(status=state.status, sessions=state.sessions)
            inside.set()

    worker = threading.Thread(target=restart)
    settings_override = override_settings(LOAD_BALANCER_DRAIN_SECONDS=60)
    settings_override.enable()
    worker.start()
    try:
        wait_for(lambda: runtime.server_state(*server).status == "DRAIN", what="the drain")
        assert not inside.is_set()  # the session it holds has not ended yet
    finally:
        held.close()
    worker.join(timeout=60)
    settings_override.disable()
    assert inside.is_set()
    assert seen == {"status": "DRAIN", "sessions": 0}
    assert runtime.server_state(*server).status == "UP"
    assert target.probe is not None and target.probe.http_path == "/health"


def test_a_shut_down_member_stays_drained_until_it_starts(carried_member):
    member, _web, runtime, server = carried_member

    def carry(kind: str) -> None:
        operation = Operation(virtual_machine_id=member.virtual_machine_id, kind=kind, target_name="vm")
        with drained(operation):
            pass

    carry(Operation.Kind.SHUT_DOWN)
    assert runtime.server_state(*server).status == "DRAIN"
    carry(Operation.Kind.START)
    assert runtime.server_state(*server).status == "UP"
