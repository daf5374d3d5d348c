"""The worker's loop: it waits and reconnects when the database goes away, and carries on afterwards."""

from __future__ import annotations

import logging
import threading

import pytest
from django.db import InterfaceError, OperationalError
from django_tasks_db.management.commands.db_worker import Worker

from portal import worker as worker_module
from portal.worker import reconnect_delay
from tests.helpers.worker import portal_worker


def test_the_reconnect_delay_doubles_from_half_a_second_up_to_the_cap():
    assert [reconnect_delay(failures, cap=5) for failures in range(1, 7)] == [0.5, 1, 2, 4, 5, 5]
    assert reconnect_delay(1, cap=0.2) == 0.2


@pytest.fixture
def slept(monkeypatch):
    delays: list[float] = []
    monkeypatch.setattr(worker_module.time, "sleep", delays.append)
    return delays


def test_the_worker_backs_off_closes_its_connections_and_carries_on(monkeypatch, slept, settings, caplog):
    settings.WORKER_RECONNECT_MAX_SECONDS = 1.5
    outcomes = iter(
        [
            OperationalError("connection refused"),
            InterfaceError("connection already closed"),
            OperationalError("connection refused"),
            True,  # a task ran once the database was back
            False,  # nothing left: a batch worker stops here
        ]
    )

    def run_once() -> bool:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    closed = []
    monkeypatch.setattr(worker_module, "close_broken_connections", lambda: closed.append(True))
    worker = portal_worker("test", interval=0, batch=True)
    monkeypatch.setattr(worker, "run_once", run_once)

    with caplog.at_level(logging.WARNING, logger="portal.worker"):
        worker.run()

    assert slept == [0.5, 1, 1.5]
    assert len(closed) == 3
    assert "Database unavailable (OperationalError: connection refused); reconnecting in 0.5 s" in caplog.text
    assert "Database reachable again after 3 failed attempt(s)" in caplog.text
    assert next(outcomes, "used up") == "used up"


def test_a_busy_sqlite_database_is_waited_out_without_backing_off(monkeypatch, slept):
    outcomes = iter([OperationalError("database is locked"), False])

    def run_once() -> bool:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    worker = portal_worker("test", interval=0, batch=True)
    monkeypatch.setattr(worker, "run_once", run_once)
    worker.batch = False
    worker.max_tasks = None
    calls = []

    def stop_after_the_first_wait(delay: float) -> None:
        calls.append(delay)
        if len(calls) == 1:
            worker.running = False

    monkeypatch.setattr(worker_module.time, "sleep", stop_after_the_first_wait)
    worker.run()

    assert calls == [0]  # the ordinary idle interval, no reconnect back-off


def test_other_errors_still_stop_the_worker(monkeypatch, slept):
    worker = portal_worker("test", interval=0, batch=True)

    def run_once() -> bool:
        raise RuntimeError("a bug")

    monkeypatch.setattr(worker, "run_once", run_once)
    with pytest.raises(RuntimeError):
        worker.run()


def test_the_schedule_runs_beside_a_task_that_takes_its_time(monkeypatch):
    """A single worker busy restarting a VM still runs its probe rounds, so the restart is seen."""
    schedule_ran = threading.Event()
    monkeypatch.setattr(worker_module, "SCHEDULE_STEP_SECONDS", 0.01)
    monkeypatch.setattr(worker_module, "periodic_run_due", schedule_ran.set)
    seen_while_running: list[bool] = []
    # The task ends only once the schedule has run meanwhile (or gives up waiting for it).
    monkeypatch.setattr(Worker, "run_task", lambda self, result: seen_while_running.append(schedule_ran.wait(30)))

    portal_worker("test", interval=0, batch=True).run_task(None)

    assert seen_while_running == [True]
    assert not any(thread.name == "portal-schedule" for thread in threading.enumerate())


def test_the_schedule_beside_a_task_carries_on_when_the_database_is_away(monkeypatch, caplog):
    rounds = threading.Semaphore(0)

    def unreachable() -> None:
        rounds.release()
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(worker_module, "periodic_run_due", unreachable)
    with caplog.at_level(logging.WARNING, logger="portal.worker"), worker_module.schedule_beside(step=0.01):
        assert rounds.acquire(timeout=30) and rounds.acquire(timeout=30)  # a second round after the failed one
    assert "The schedule could not reach the database" in caplog.text
