"""The HAProxy configuration of a region, rendered from plain values: a pure function the tests compare to text.

Per cloud service and public port one frontend, listening on the cloud service's own address. A stand-alone endpoint
is a backend with one server (its VM's address and private port); a load-balanced set is a backend with one server per
member, each checked with the set's probe (a TCP connection, or an HTTP GET of the probe path expecting 200) every
probe interval, out of rotation after the set's number of failed probes and back after one success, round-robin.

Names are the portal's ids, so a server's state maps back to its row: frontend ``service-<id>-<protocol>-<port>``,
backend ``endpoint-<id>`` or ``set-<id>``, server ``endpoint-<id>``. HAProxy carries TCP only; a UDP endpoint is
written as a comment saying so. A VM the fabric has not given an address yet has no server line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

TCP = "tcp"
HTTP = "http"

HEADER = """\
# Written by the portal from its endpoints and load-balanced sets; changes made here are replaced.
global
    master-worker
    maxconn {maxconn}
    stats socket {runtime_socket} mode 600 level admin
    stats timeout 2m

defaults
    mode tcp
    timeout connect 5s
    timeout client 1h
    timeout server 1h
"""

# Characters a probe path keeps as they are; the rest is percent-encoded, so no space, quote, "#" or "$" reaches the
# configuration's own syntax.
_PATH_SAFE = "/?&=-._~:@,;+%!*()"


# HAProxy opens a file for every listener and two for every connection it may hold: a stated maxconn keeps what a
# region with many public ports needs (100 cloud services of 150 endpoints: 10,500 listeners) under the host's limit.
DEFAULT_MAXCONN = 4096


@dataclass(frozen=True)
class LoadBalancerValues:
    runtime_socket: str
    maxconn: int = DEFAULT_MAXCONN


@dataclass(frozen=True)
class StandAloneValues:
    """A stand-alone endpoint: one public port to one VM's private port."""

    endpoint_id: int
    name: str
    protocol: str
    public_port: int
    private_port: int
    vm_name: str
    address: str | None


@dataclass(frozen=True)
class MemberValues:
    endpoint_id: int
    vm_name: str
    address: str | None


@dataclass(frozen=True)
class SetValues:
    """A load-balanced set: one public port spread over its members, each checked with the set's probe."""

    set_id: int
    name: str
    protocol: str
    public_port: int
    private_port: int
    probe_protocol: str
    probe_port: int
    probe_path: str
    probe_interval: int
    probe_count: int
    members: tuple[MemberValues, ...]


@dataclass(frozen=True)
class CloudServiceValues:
    cloud_service_id: int
    name: str
    address: str
    endpoints: tuple[StandAloneValues, ...] = ()
    sets: tuple[SetValues, ...] = ()


def frontend_name(cloud_service_id: int, protocol: str, public_port: int) -> str:
    return f"service-{cloud_service_id}-{protocol}-{public_port}"


def endpoint_backend_name(endpoint_id: int) -> str:
    return f"endpoint-{endpoint_id}"


def set_backend_name(set_id: int) -> str:
    return f"set-{set_id}"


def server_name(endpoint_id: int) -> str:
    return f"endpoint-{endpoint_id}"


def _comment(text: str) -> str:
    """Return text fit for a comment line: printable, on one line."""
    return re.sub(r"[^\x20-\x7e]", "?", text)


def _probe_path(path: str) -> str:
    return quote(path, safe=_PATH_SAFE)


def _frontend(service: CloudServiceValues, protocol: str, public_port: int, backend: str, what: str) -> list[str]:
    return [
        f"# {_comment(service.name)}: {_comment(what)}",
        f"frontend {frontend_name(service.cloud_service_id, protocol, public_port)}",
        f"    bind {service.address}:{public_port}",
        f"    default_backend {backend}",
        "",
    ]


def _server(member_id: int, vm_name: str, address: str | None, port: int, options: str = "") -> list[str]:
    if address is None:
        return [f"    # {_comment(vm_name)} has no address yet"]
    return [f"    server {server_name(member_id)} {address}:{port}{options}  # {_comment(vm_name)}"]


def _not_carried(service: CloudServiceValues, what: str, protocol: str, public_port: int) -> list[str]:
    """Return the comment that stands for an endpoint or set HAProxy cannot forward (UDP)."""
    return [
        f"# {_comment(service.name)}: {_comment(what)} ({protocol.upper()} {public_port}) is not carried: "
        "HAProxy forwards TCP only",
        "",
    ]


def _stand_alone(service: CloudServiceValues, endpoint: StandAloneValues) -> list[str]:
    backend = endpoint_backend_name(endpoint.endpoint_id)
    if endpoint.protocol != TCP:
        return _not_carried(service, endpoint.name, endpoint.protocol, endpoint.public_port)
    what = f"{endpoint.name} on {endpoint.vm_name}, public {endpoint.public_port}, private {endpoint.private_port}"
    return [
        *_frontend(service, endpoint.protocol, endpoint.public_port, backend, what),
        f"backend {backend}",
        *_server(endpoint.endpoint_id, endpoint.vm_name, endpoint.address, endpoint.private_port),
        "",
    ]


def _set(service: CloudServiceValues, lb_set: SetValues) -> list[str]:
    backend = set_backend_name(lb_set.set_id)
    if lb_set.protocol != TCP:
        return _not_carried(service, f"load-balanced set {lb_set.name}", lb_set.protocol, lb_set.public_port)
    what = f"load-balanced set {lb_set.name}, public {lb_set.public_port}, private {lb_set.private_port}"
    lines = [*_frontend(service, lb_set.protocol, lb_set.public_port, backend, what), f"backend {backend}"]
    lines.append("    balance roundrobin")
    if lb_set.probe_protocol == HTTP:
        lines.append("    option httpchk")
        lines.append(f"    http-check send meth GET uri {_probe_path(lb_set.probe_path)}")
        lines.append("    http-check expect status 200")
    options = f" check port {lb_set.probe_port} inter {lb_set.probe_interval}s fall {lb_set.probe_count} rise 1"
    for member in lb_set.members:
        lines.extend(_server(member.endpoint_id, member.vm_name, member.address, lb_set.private_port, options))
    lines.append("")
    return lines


def render(load_balancer: LoadBalancerValues, cloud_services: list[CloudServiceValues]) -> str:
    """Return the HAProxy configuration carrying these cloud services' endpoints and load-balanced sets."""
    lines = [HEADER.format(runtime_socket=load_balancer.runtime_socket, maxconn=load_balancer.maxconn)]
    for service in sorted(cloud_services, key=lambda service: service.cloud_service_id):
        ports = [(endpoint.public_port, 0, endpoint.endpoint_id, endpoint) for endpoint in service.endpoints]
        ports += [(lb_set.public_port, 1, lb_set.set_id, lb_set) for lb_set in service.sets]
        for _port, _kind, _id, item in sorted(ports, key=lambda entry: entry[:3]):
            lines.extend(_stand_alone(service, item) if isinstance(item, StandAloneValues) else _set(service, item))
    return "\n".join(lines).rstrip("\n") + "\n"


SET_BACKEND = re.compile(r"^set-(\d+)$")
MEMBER_SERVER = re.compile(r"^endpoint-(\d+)$")


def set_rotation(servers: list[tuple[str, str, bool]]) -> tuple[frozenset[int], dict[int, bool]]:
    """Map HAProxy's servers (backend, server, in rotation) back to the sets it carries and their members' rotation."""
    set_ids: set[int] = set()
    in_rotation: dict[int, bool] = {}
    for backend, server, taking_traffic in servers:
        backend_match, server_match = SET_BACKEND.match(backend), MEMBER_SERVER.match(server)
        if backend_match is None or server_match is None:
            continue
        set_ids.add(int(backend_match[1]))
        in_rotation[int(server_match[1])] = taking_traffic
    return frozenset(set_ids), in_rotation
