"""The load balancer's probe of a machine on a libvirt host: a TCP connection, or an HTTP GET expecting 200."""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

PROBE_THREADS = 16


@dataclass(frozen=True)
class Probe:
    address: str
    port: int
    http_path: str = ""  # empty: a TCP probe


def probe_answers(probe: Probe, *, timeout: float) -> bool:
    """Return whether the machine answers: it accepts the TCP connection, or answers the GET with 200."""
    try:
        if not probe.http_path:
            with socket.create_connection((probe.address, probe.port), timeout=timeout):
                return True
        connection = http.client.HTTPConnection(probe.address, probe.port, timeout=timeout)
        try:
            connection.request("GET", probe.http_path, headers={"User-Agent": "Load Balancer Agent"})
            return connection.getresponse().status == 200
        finally:
            connection.close()
    except (OSError, http.client.HTTPException):
        return False


def probes_run(probes: Iterable[Probe], *, timeout: float) -> list[bool]:
    """Run the probes side by side; a round takes about one timeout, however many members it probes."""
    probes = list(probes)
    if not probes:
        return []
    with ThreadPoolExecutor(max_workers=min(PROBE_THREADS, len(probes)), thread_name_prefix="probe") as pool:
        return list(pool.map(lambda probe: probe_answers(probe, timeout=timeout), probes))
