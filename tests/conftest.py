"""Shared fixtures: a signed-in person with a subscription, and a fabric that answers at once."""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

from balancer import haproxy
from tests.factories import STRONG_PASSWORD, SubscriptionFactory, UserFactory, VirtualMachineFactory
from tests.helpers.fabric import simulated_topology
from tests.helpers.haproxy import Backend, RunningHAProxy, wait_for
from tests.helpers.lab import Lab, lab_start, skip_or_fail


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def _restores_migrated_data(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker is not None and marker.kwargs.get("serialized_rollback"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Among the tests in real transactions, run those that restore the migrated data (serialized_rollback) first.

    Any other such test ends with a flush that recreates the content types under new ids; a restoring test after it
    would then insert the saved content types beside them and fail on their unique names, whatever the order of files.
    """
    positions = [index for index, item in enumerate(items) if _transactional(item)]
    block = sorted((items[index] for index in positions), key=lambda item: not _restores_migrated_data(item))
    for index, item in zip(positions, block, strict=True):
        items[index] = item


def pytest_itemcollected(item: pytest.Item) -> None:
    """Skip a test marked postgres on any other database, for the marker's reason if it gives one."""
    marker = item.get_closest_marker("postgres")
    if marker is not None and connection.vendor != "postgresql":
        reason = marker.kwargs.get("reason", "row locks under real concurrency need PostgreSQL")
        item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def instant_fabric(settings):
    """Run tasks in-process as soon as their transaction commits, with no simulated delay."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.FABRIC_OPERATION_SECONDS = 0
    settings.FABRIC_FAILURE_RATE = 0
    # A fast hasher keeps the suite quick; the hashing itself is Django's and is exercised all the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def subscription(user):
    return SubscriptionFactory(members=[user])


@pytest.fixture
def vm(subscription):
    """A virtual machine of `subscription`."""
    return VirtualMachineFactory(cloud_service__subscription=subscription)


@pytest.fixture
def signed_in(client, user, subscription):
    """A test client signed in as a person who belongs to `subscription`."""
    client.force_login(user)
    return client


@pytest.fixture
def staff(signed_in, user):
    """The signed-in client, its person made staff (the Hosts and maintenance pages)."""
    user.is_staff = True
    user.save()
    return signed_in


@pytest.fixture
def password() -> str:
    return STRONG_PASSWORD


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database has the catalog (its data migration) and a simulated topology to place VMs on."""
    with django_db_blocker.unblock():
        simulated_topology()


@pytest.fixture(autouse=True)
def catalog(request):
    """Restore the catalog and the topology for tests in real transactions: their database is flushed after each."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if transactional:
        request.getfixturevalue("transactional_db")
        import_module("vms.migrations.0002_catalog").load_catalog(apps, None)
        simulated_topology()


@pytest.fixture(scope="session")
def session_lab(tmp_path_factory) -> Iterator[Lab]:
    """Two lab hosts in two racks, with the lab's HAProxy, for the session; stopped at its end whatever happens."""
    lab = lab_start(2, 2, tmp_path_factory.mktemp("lab"), balancer=True)
    try:
        yield lab
    finally:
        lab.stop()


@pytest.fixture
def lab(session_lab) -> Lab:
    """The session's lab, running: started again if a test stopped it or another lab ran since."""
    return session_lab.running()


@pytest.fixture
def lab_of_four(tmp_path_factory) -> Iterator[Lab]:
    """Four lab hosts in two racks and the lab's HAProxy (the session's lab stops meanwhile), stopped at the end."""
    lab = lab_start(4, 2, tmp_path_factory.mktemp("lab4"), balancer=True)
    try:
        yield lab
    finally:
        lab.stop()


# A real HAProxy in master-worker mode, started by a test in its own directory on 127.0.0.1, and tiny HTTP backends:
# without the haproxy program these skip and say why (they fail with PORTAL_REAL_GUESTS=required, as in CI); each
# fixture stops exactly the process it started.


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
        skip_or_fail("haproxy is not installed (apt-get install haproxy, or fabric/lab/install.sh)")
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
