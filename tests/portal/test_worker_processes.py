"""Real ``manage.py worker`` processes: killed mid-operation, cut off from PostgreSQL, and racing each other.

No test here requests a page: whatever recovers an operation is the workers' own schedule.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from portal.services import ABANDONED_TASK_ERROR
from tests import factories
from vms.models import Operation, VirtualMachine
from vms.services.machines import vm_restart, vm_shut_down

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
WORKER = Path(__file__).with_name("worker_process.py")
Status = VirtualMachine.Status
FINAL = {Status.RUNNING, Status.STOPPED}

postgresql_only = pytest.mark.postgres(reason="a TCP database and real row locks need PostgreSQL")


def database_url(*, port: int | None = None) -> str:
    """The test database as a DATABASE_URL for another process, optionally through another port."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{port or db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition: Callable[[], object], *, timeout: float, every: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


class Workers:
    """Start worker processes against the test database; every one still running is killed at the end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.calls_file = tmp_path / "fabric-calls.log"
        self.calls_file.touch()
        self.processes: list[tuple[subprocess.Popen, Path]] = []

    def start(self, name: str, *, port: int | None = None, **environment: object) -> subprocess.Popen:
        log = self.tmp_path / f"{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": database_url(port=port),
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "FABRIC_CALL_LOG": str(self.calls_file),
            "FABRIC_FAILURE_RATE": "0",
            "PYTHONUNBUFFERED": "1",
            **{key: str(value) for key, value in environment.items()},
        }
        with log.open("w") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    str(WORKER),
                    "--interval",
                    "0.1",
                    "--no-reload",
                    "--no-startup-delay",
                    "--worker-id",
                    name,
                ],
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        self.processes.append((process, log))
        return process

    def log(self, process: subprocess.Popen) -> str:
        return next(log for started, log in self.processes if started is process).read_text()

    def fabric_calls(self) -> Counter[int]:
        return Counter(int(line) for line in self.calls_file.read_text().split())

    def stop_all(self) -> None:
        for process, _ in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


@pytest.fixture
def workers(tmp_path, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    started = Workers(tmp_path)
    yield started
    started.stop_all()


def refreshed(obj):
    obj.refresh_from_db()
    return obj


def test_a_worker_killed_mid_operation_is_recovered_by_another_workers_schedule(workers):
    timeout, sweep = 5, 1
    vm = factories.VirtualMachineFactory(status=Status.RUNNING)
    operation = vm_restart(vm=vm, user=None)
    first = workers.start(
        "first", FABRIC_OPERATION_SECONDS=120, OPERATION_TIMEOUT_SECONDS=timeout, OPERATION_SWEEP_SECONDS=sweep
    )
    assert wait_for(lambda: workers.fabric_calls()[operation.pk] == 1, timeout=60), workers.log(first)

    first.send_signal(signal.SIGKILL)  # in the middle of the fabric's simulated restart
    first.wait(timeout=10)
    assert refreshed(vm).status == Status.RESTARTING
    attempt_started_at = refreshed(operation).attempt_started_at
    second = workers.start(
        "second", FABRIC_OPERATION_SECONDS=0.1, OPERATION_TIMEOUT_SECONDS=timeout, OPERATION_SWEEP_SECONDS=sweep
    )

    # Final within the timeout plus one sweep interval (and a little for the retry itself to run).
    allowed = timeout + sweep + 2
    remaining = allowed - (time.time() - attempt_started_at.timestamp())
    assert wait_for(lambda: refreshed(vm).status in FINAL, timeout=remaining), workers.log(second)
    operation.refresh_from_db()
    assert (operation.status, operation.attempts) == (Operation.Status.SUCCEEDED, 2)
    assert refreshed(vm).status == Status.RUNNING
    assert workers.fabric_calls()[operation.pk] == 2

    # The dead worker's task row is marked failed, not left looking like running work.
    killed = DBTaskResult.objects.filter(worker_ids=["first"])
    assert wait_for(lambda: killed.filter(status=TaskResultStatus.FAILED).exists(), timeout=sweep + 2)
    assert killed.get().exception_class_path == ABANDONED_TASK_ERROR
    assert not DBTaskResult.objects.running().exists()


class Proxy:
    """A TCP relay to PostgreSQL that can be stopped (dropping every connection, refusing new ones) and restarted."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self.lock:
            doomed, self.sockets = [self.listener, *self.sockets], []
            self.listener = None
        for sock in doomed:
            if sock is None:
                continue
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy():
    db = connection.settings_dict
    relay = Proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    relay.start()
    yield relay
    relay.stop()


@postgresql_only
def test_the_worker_survives_the_database_refusing_connections_and_carries_on(workers, proxy):
    timeout, sweep = 5, 1
    vm = factories.VirtualMachineFactory(status=Status.RUNNING)
    worker = workers.start(
        "cut-off",
        port=proxy.port,
        FABRIC_OPERATION_SECONDS=1,
        OPERATION_TIMEOUT_SECONDS=timeout,
        OPERATION_SWEEP_SECONDS=sweep,
        WORKER_RECONNECT_MAX_SECONDS=1,
    )
    restart = vm_restart(vm=vm, user=None)
    assert wait_for(lambda: workers.fabric_calls()[restart.pk] == 1, timeout=60), workers.log(worker)

    proxy.stop()  # mid-operation: the fabric finishes while nothing reaches the database
    time.sleep(4)
    assert worker.poll() is None, workers.log(worker)
    assert refreshed(vm).status == Status.RESTARTING
    proxy.start()

    # The interrupted restart is recovered by the worker's own sweep once it is back.
    assert wait_for(lambda: refreshed(vm).status == Status.RUNNING, timeout=timeout + sweep + 6), workers.log(worker)
    assert refreshed(restart).attempts == 2

    # And the worker carries out new work as before.
    shut_down = vm_shut_down(vm=vm, user=None)
    assert wait_for(lambda: refreshed(vm).status == Status.STOPPED, timeout=10), workers.log(worker)
    assert refreshed(shut_down).status == Operation.Status.SUCCEEDED
    assert worker.poll() is None
    log = workers.log(worker)
    assert "Database unavailable" in log and "reconnecting in" in log
    assert "Database reachable again" in log


@postgresql_only
def test_several_workers_on_one_database_carry_out_every_operation_exactly_once(workers):
    vms = factories.VirtualMachineFactory.create_batch(30, status=Status.RUNNING)
    operations = [vm_restart(vm=vm, user=None) for vm in vms]
    racing = [
        workers.start(f"racer-{index}", FABRIC_OPERATION_SECONDS=0.1, OPERATION_TIMEOUT_SECONDS=600)
        for index in range(3)
    ]

    pending = Operation.objects.filter(pk__in=[op.pk for op in operations], status=Operation.Status.IN_PROGRESS)
    assert wait_for(lambda: not pending.exists(), timeout=120), "\n".join(workers.log(p) for p in racing)

    assert workers.fabric_calls() == Counter({operation.pk: 1 for operation in operations})
    assert set(Operation.objects.filter(pk__in=[op.pk for op in operations]).values_list("status", "attempts")) == {
        (Operation.Status.SUCCEEDED, 1)
    }
    rows = list(DBTaskResult.objects.all())
    assert len(rows) == len(operations)
    assert all(row.status == TaskResultStatus.SUCCESSFUL and len(row.worker_ids) == 1 for row in rows)
    assert len({row.worker_ids[0] for row in rows}) > 1  # the workers really did share the queue
