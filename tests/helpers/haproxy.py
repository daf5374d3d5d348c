"""A real HAProxy and tiny HTTP backends on 127.0.0.1: free ports, waiting for a condition, what a test started."""

from __future__ import annotations

import socket
import subprocess
import time
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from balancer import haproxy

START_TIMEOUT_SECONDS = 15


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, *, timeout: float = START_TIMEOUT_SECONDS, what: str = "the condition"):
    """Return condition()'s first true value, polling; fail the test if it never comes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = condition()
        except (OSError, haproxy.HAProxyError):
            value = None
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"Waited {timeout} s for {what}.")


@dataclass
class Backend:
    """An HTTP server on 127.0.0.1 answering GET with its name; its /health answers 200 while `healthy`."""

    name: str
    server: ThreadingHTTPServer
    healthy: bool = True
    requests: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.server_address[1]


@dataclass
class RunningHAProxy:
    """A HAProxy a test started: its directory, its master process, its configuration file and its sockets."""

    directory: Path
    process: subprocess.Popen
    config_path: str
    master_socket: str
    runtime_socket: str

    @property
    def runtime(self) -> haproxy.RuntimeApi:
        return haproxy.RuntimeApi(self.runtime_socket)
