"""Applying configurations to a real HAProxy and reading and setting its servers through the runtime API."""

from __future__ import annotations

import http.client
import resource
import socket
from pathlib import Path

import pytest

from balancer import haproxy
from balancer.config import (
    CloudServiceValues,
    LoadBalancerValues,
    MemberValues,
    SetValues,
    StandAloneValues,
    render,
)
from tests.helpers.haproxy import free_port, wait_for


def fetch(port: int, path: str = "/") -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", path)
        return connection.getresponse().read().decode()
    finally:
        connection.close()


def config(runtime_socket: str, backends, *, set_port: int, stand_alone_port: int | None = None) -> str:
    """Render a cloud service on 127.0.0.1 with a set over the backends and perhaps a stand-alone endpoint."""
    members = tuple(MemberValues(10 + i, backend.name, "127.0.0.1") for i, backend in enumerate(backends))
    # A set's members share its private port, and the two backends listen on different ports: the set carries web1.
    lb_set = SetValues(
        set_id=1,
        name="web",
        protocol="tcp",
        public_port=set_port,
        private_port=backends[0].port,
        probe_protocol="http",
        probe_port=backends[0].port,
        probe_path="/health",
        probe_interval=1,
        probe_count=2,
        members=members[:1],
    )
    endpoints = ()
    if stand_alone_port is not None:
        endpoints = (StandAloneValues(20, "Web2", "tcp", stand_alone_port, backends[1].port, "web2", "127.0.0.1"),)
    service = CloudServiceValues(1, "shop", "127.0.0.1", endpoints=endpoints, sets=(lb_set,))
    return render(LoadBalancerValues(runtime_socket=runtime_socket), [service])


@pytest.fixture
def running(start_haproxy, backends, tmp_path: Path):
    set_port = free_port()
    text = config(str(tmp_path / "runtime.sock"), backends, set_port=set_port)
    instance = start_haproxy(text)
    instance.set_port = set_port
    wait_for(lambda: fetch(set_port) == "web1", what="the set to serve")
    return instance


def test_apply_serves_a_new_endpoint_after_a_reload_and_keeps_established_connections(running, backends):
    held = socket.create_connection(("127.0.0.1", running.set_port), timeout=5)
    before = haproxy.workers(running.master_socket)
    new_port = free_port()
    text = config(running.runtime_socket, backends, set_port=running.set_port, stand_alone_port=new_port)

    haproxy.apply(text, config_path=running.config_path, master_socket=running.master_socket)

    assert Path(running.config_path).read_text() == text
    assert not set(haproxy.workers(running.master_socket)) & set(before)
    assert fetch(new_port) == "web2"
    # The connection made before the reload is still carried by the old worker.
    held.sendall(b"GET / HTTP/1.0\r\n\r\n")
    assert held.makefile("rb").read().decode().endswith("web1")
    held.close()


def test_a_configuration_haproxy_refuses_leaves_the_running_one_untouched(running, backends):
    original = Path(running.config_path).read_text()
    before = haproxy.workers(running.master_socket)
    refused = original.replace("balance roundrobin", "balance nowhere")

    with pytest.raises(haproxy.ConfigurationRefused) as raised:
        haproxy.apply(refused, config_path=running.config_path, master_socket=running.master_socket)

    assert "balance only supports 'roundrobin'" in str(raised.value)
    assert "[NOTICE]" not in str(raised.value)
    assert str(Path(running.config_path).parent) not in str(raised.value)
    assert Path(running.config_path).read_text() == original
    assert haproxy.workers(running.master_socket) == before
    assert fetch(running.set_port) == "web1"
    assert sorted(p.name for p in Path(running.config_path).parent.glob(".haproxy.cfg.*")) == []


def test_a_public_port_another_program_holds_is_refused_with_its_address_before_any_reload(running, backends):
    original = Path(running.config_path).read_text()
    before = haproxy.workers(running.master_socket)
    with socket.create_server(("127.0.0.1", 0)) as other_program:
        taken = other_program.getsockname()[1]
        text = config(running.runtime_socket, backends, set_port=running.set_port, stand_alone_port=taken)

        with pytest.raises(haproxy.ConfigurationRefused) as raised:
            haproxy.apply(text, config_path=running.config_path, master_socket=running.master_socket)

    assert str(raised.value) == f"[ALERT] cannot listen on 127.0.0.1:{taken}: Address already in use."
    assert Path(running.config_path).read_text() == original
    assert haproxy.workers(running.master_socket) == before
    # HAProxy's own listeners are not new: a configuration keeping them is not refused for them.
    haproxy.listeners_check(original, original)


def test_a_reload_the_master_fails_is_known_at_once_and_the_previous_file_is_back(running, backends):
    """HAProxy needs two open files per connection of maxconn: one over this machine's limit fails the reload
    (``haproxy -c`` accepts it), and the master's count of failed reloads says so without waiting for a worker."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # Without a limit of its own a process still has the kernel's (fs.nr_open, 2**20 by default).
    maxconn = 2**20 if hard == resource.RLIM_INFINITY else hard
    original = Path(running.config_path).read_text()
    before = haproxy.workers(running.master_socket)
    text = original.replace("maxconn ", f"maxconn {maxconn}  # was ", 1)
    assert text != original

    failed = haproxy.failed_reloads(running.master_socket)
    with pytest.raises(haproxy.ReloadFailed) as raised:
        haproxy.apply(text, config_path=running.config_path, master_socket=running.master_socket)

    assert haproxy.failed_reloads(running.master_socket) == failed + 1
    assert "keeps the one before" in str(raised.value)
    assert Path(running.config_path).read_text() == original
    assert haproxy.workers(running.master_socket) == before
    assert fetch(running.set_port) == "web1"


def test_check_refuses_with_haproxys_message():
    with pytest.raises(haproxy.ConfigurationRefused, match="unknown keyword"):
        haproxy.check("global\n    no-such-keyword\n")


def test_runtime_api_reads_servers_and_follows_the_probe(running, backends):
    wait_for(lambda: running.runtime.server_state("set-1", "endpoint-10").status == "UP", what="the member up")
    backends[0].healthy = False
    wait_for(lambda: running.runtime.server_state("set-1", "endpoint-10").status == "DOWN", what="the member down")
    assert not running.runtime.server_state("set-1", "endpoint-10").in_rotation
    assert "/health" in backends[0].requests


def test_drain_counts_sessions_and_ready_puts_the_server_back(running, backends):
    runtime = running.runtime
    wait_for(lambda: runtime.server_state("set-1", "endpoint-10").status == "UP", what="the member up")
    held = socket.create_connection(("127.0.0.1", running.set_port), timeout=5)
    wait_for(lambda: runtime.sessions("set-1", "endpoint-10") == 1, what="one session")

    runtime.set_server_state("set-1", "endpoint-10", "drain")
    assert runtime.server_state("set-1", "endpoint-10").status == "DRAIN"
    assert not runtime.server_state("set-1", "endpoint-10").in_rotation
    held.close()
    wait_for(lambda: runtime.sessions("set-1", "endpoint-10") == 0, what="the session to end")

    runtime.set_server_state("set-1", "endpoint-10", "ready")
    assert runtime.server_state("set-1", "endpoint-10").status == "UP"


def test_failed_requests_counts_a_connection_no_server_took_per_backend(running, backends):
    runtime = running.runtime
    assert fetch(running.set_port) == "web1"
    assert runtime.failed_requests()["set-1"] == 0
    runtime.set_server_state("set-1", "endpoint-10", "maint")
    with pytest.raises((http.client.HTTPException, OSError)):
        fetch(running.set_port)  # no server in rotation: HAProxy closes the connection
    assert runtime.failed_requests()["set-1"] == 1
    runtime.set_server_state("set-1", "endpoint-10", "ready")
    wait_for(lambda: runtime.server_state("set-1", "endpoint-10").in_rotation, what="the member back")
    assert fetch(running.set_port) == "web1"
    assert runtime.failed_requests()["set-1"] == 1


def test_setting_a_server_haproxy_does_not_have_says_so(running):
    with pytest.raises(haproxy.HAProxyError, match="No such"):
        running.runtime.set_server_state("set-1", "endpoint-99", "drain")
    with pytest.raises(ValueError, match="ready, drain, maint"):
        running.runtime.set_server_state("set-1", "endpoint-10", "down")


def test_haproxy_accepts_every_shape_the_renderer_writes(start_haproxy):
    member = MemberValues(8, "web1", "10.254.128.10")
    members = (member, MemberValues(9, "web2", None))
    http_set = SetValues(3, "web", "tcp", 80, 8080, "http", 8080, "/a b#$'", 15, 2, members)
    tcp_set = SetValues(4, "tcp", "tcp", 81, 81, "tcp", 81, "", 5, 100, ())
    udp_set = SetValues(5, "dns", "udp", 53, 53, "tcp", 53, "", 5, 2, (member,))
    endpoints = (
        StandAloneValues(5, "SSH", "tcp", 22, 22, "web1", "10.254.128.10"),
        StandAloneValues(6, "RDP", "tcp", 3389, 3389, "web2", None),
        StandAloneValues(7, "DNS", "udp", 53, 53, "web1", "10.254.128.10"),
    )
    services = [
        CloudServiceValues(1, "shop", "127.0.1.1", endpoints=endpoints, sets=(http_set, tcp_set, udp_set)),
        CloudServiceValues(2, "blog", "127.0.1.2", endpoints=(StandAloneValues(10, "SSH", "tcp", 22, 22, "b", None),)),
    ]
    haproxy.check(render(LoadBalancerValues(runtime_socket="/run/portal-test.sock"), services))
