"""The simulated fabric: it plays the platform that provisions, powers and restarts VMs."""

from __future__ import annotations

import random
import time

from django.conf import settings

from portal.periodic import periodic_run_due
from vms.models import Operation, VirtualMachine

FAILURE_REASONS = {
    Operation.Kind.CREATE: "The fabric could not allocate the virtual machine in this region.",
    Operation.Kind.START: "The fabric could not start the virtual machine.",
    Operation.Kind.SHUT_DOWN: "The fabric could not shut down the virtual machine.",
    Operation.Kind.RESTART: "The fabric could not restart the virtual machine.",
    Operation.Kind.CONFIGURE: "The fabric could not restart the virtual machine with its new configuration.",
    Operation.Kind.DELETE: "The fabric could not delete the virtual machine.",
}


# While an operation takes its simulated time, the worker's schedule (such as the load balancer's probes) runs on.
SCHEDULE_STEP_SECONDS = 0.5


def carry_out(operation: Operation) -> str:
    """Take the operation's simulated time and return an error message, or "" on success."""
    simulate_time(settings.FABRIC_OPERATION_SECONDS)
    if random.random() < settings.FABRIC_FAILURE_RATE:  # noqa: S311 - simulation, not security
        return FAILURE_REASONS[operation.kind]
    return ""


def simulate_time(seconds: float) -> None:
    """Let simulated time pass in the worker, running its due periodic jobs meanwhile as an idle worker would."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, SCHEDULE_STEP_SECONDS))
        periodic_run_due()


def probe_answers(*, status: str, probe_fails: bool) -> bool:
    """Play the load balancer's probe of one VM: it answers while the VM is Running and not told to fail."""
    return status == VirtualMachine.Status.RUNNING and not probe_fails
