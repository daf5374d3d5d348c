"""A real HAProxy in master-worker mode, started by a test in its own directory on 127.0.0.1, and tiny HTTP backends.

Without the haproxy program these tests skip and say why; with PORTAL_REAL_GUESTS=required (CI) they fail instead.
Each fixture stops exactly the process it started.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from balancer import haproxy
from tests.helpers.haproxy import Backend, RunningHAProxy, wait_for


@pytest.fixture
def backends() -> Iterator[list[Backend]]:
    started: list[Backend] = []

    def make(name: str) -> Backend:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                backend.requests.append(self.path)
                ok = backend.healthy or self.path != "/health"
                body = backend.name.encode()
                self.send_response(200 if ok else 503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.handle_error = lambda request, address: None  # HAProxy's checks hang up without reading the body
        backend = Backend(name, server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(backend)
        return backend

    yield [make("web1"), make("web2")]
    for backend in started:
        backend.server.shutdown()
        backend.server.server_close()


@pytest.fixture
def start_haproxy(tmp_path: Path) -> Iterator:
    """Return a function starting HAProxy (master-worker, pid and sockets in tmp_path) with a first configuration."""
    binary = shutil.which("haproxy")
    if binary is None:
        reason = "haproxy is not installed (apt-get install haproxy, or fabric/lab/install.sh)"
        if os.environ.get("PORTAL_REAL_GUESTS", "") == "required":
            pytest.fail(f"PORTAL_REAL_GUESTS=required, but {reason}", pytrace=False)
        pytest.skip(reason)
    started: list[RunningHAProxy] = []

    def start(config_text: str) -> RunningHAProxy:
        config_path = tmp_path / "haproxy.cfg"
        config_path.write_text(config_text)
        master_socket = str(tmp_path / "master.sock")
        command = [binary, "-W", "-S", master_socket, "-p", str(tmp_path / "haproxy.pid"), "-f", str(config_path)]
        log = (tmp_path / "haproxy.log").open("w")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
        running = RunningHAProxy(tmp_path, process, str(config_path), master_socket, str(tmp_path / "runtime.sock"))
        started.append(running)
        wait_for(lambda: haproxy.workers(master_socket), what="HAProxy's first worker")
        return running

    yield start
    for running in started:
        running.process.terminate()
        try:
            running.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait(timeout=10)
