"""The fabric's jobs in the worker's schedule: watching the hosts this worker holds, and service healing."""

from __future__ import annotations

from fabric.operations import fabric_failures_heal
from fabric.watch import process_watcher
from portal.periodic import periodic

WATCH_SECONDS = 1
HEAL_SECONDS = 1


@periodic(name="fabric.watch_hosts", seconds=WATCH_SECONDS, each_worker=True)
def watch_hosts() -> set[int]:
    """Renew or take this worker's host leases, connect, reconcile on reconnect and handle the hosts' events."""
    return process_watcher().watch()


@periodic(name="fabric.heal", seconds=HEAL_SECONDS)
def heal() -> list[int]:
    """Start again every machine whose fabric failure has lasted its time (service healing)."""
    return fabric_failures_heal()
