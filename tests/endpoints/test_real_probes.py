"""Members on libvirt hosts are probed for real: a TCP connection, or an HTTP GET expecting 200."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest
from django.utils import timezone

from endpoints.models import Endpoint
from endpoints.probes import load_balanced_sets_probe
from fabric.models import Host
from tests.factories import CloudServiceFactory, EndpointFactory, LoadBalancedSetFactory, VirtualMachineFactory
from tests.helpers.fabric import place_on_host
from tests.helpers.hosts import libvirt_host
from vms.models import VirtualMachine


class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/healthy" else 503)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """An HTTP server on this machine's loopback, standing in for a guest."""
    httpd = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def member(host: Host, lb_set, *, address: str) -> Endpoint:
    vm = VirtualMachineFactory(cloud_service=lb_set.cloud_service, status=VirtualMachine.Status.RUNNING)
    place_on_host(vm, host, address=address)
    return EndpointFactory(virtual_machine=vm, load_balanced_set=lb_set, public_port=80, private_port=80)


def test_a_tcp_probe_connects_to_the_members_address_and_port(db, server):
    host = libvirt_host("host-1", index=1)
    lb_set = LoadBalancedSetFactory(cloud_service=CloudServiceFactory(), public_port=80, probe_port=server)
    listening = member(host, lb_set, address="127.0.0.1")
    lb_other = LoadBalancedSetFactory(cloud_service=lb_set.cloud_service, public_port=81, probe_port=closed_port())
    refused = member(host, lb_other, address="127.0.0.2")

    load_balanced_sets_probe(now=timezone.now())

    listening.refresh_from_db()
    refused.refresh_from_db()
    assert (listening.in_rotation, refused.in_rotation) == (True, False)
    assert refused.probe_failures == 1


@pytest.mark.parametrize(("path", "answers"), [("/healthy", True), ("/broken", False)])
def test_an_http_probe_expects_200_from_the_probe_path(db, server, path, answers):
    host = libvirt_host("host-1", index=1)
    lb_set = LoadBalancedSetFactory(
        cloud_service=CloudServiceFactory(), public_port=80, probe_protocol="http", probe_port=server, probe_path=path
    )
    endpoint = member(host, lb_set, address="127.0.0.1")

    load_balanced_sets_probe(now=timezone.now())

    endpoint.refresh_from_db()
    assert endpoint.in_rotation is answers


def test_a_running_member_whose_guest_does_not_answer_leaves_rotation_though_its_status_says_running(db):
    host = libvirt_host("host-1", index=1)
    lb_set = LoadBalancedSetFactory(cloud_service=CloudServiceFactory(), public_port=80, probe_port=closed_port())
    endpoint = member(host, lb_set, address="127.0.0.1")
    Endpoint.objects.filter(pk=endpoint.pk).update(in_rotation=True)

    for _ in range(lb_set.probe_count):
        LoadBalancedSetFactory._meta.model.objects.filter(pk=lb_set.pk).update(next_probe_at=None)
        load_balanced_sets_probe(now=timezone.now())

    endpoint.refresh_from_db()
    assert not endpoint.in_rotation
