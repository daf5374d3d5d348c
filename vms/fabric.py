"""The fabric's entry point for vms: the carrier that carries out operations, and the simulated fabric.

vms sits below the fabric app, so it does not import it: the fabric registers its carrier here when Django starts
(``FabricConfig.ready``), and until then (or without the fabric app) operations are carried out by the simulation,
which plays the platform that provisions, powers and restarts VMs.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from django.conf import settings

from vms.models import Operation, VirtualMachine
from vms.operations import PHASES, operation_enter_phase

CUT_SHORT_POLL_SECONDS = 0.2

FAILURE_REASONS = {
    Operation.Kind.CREATE: "The fabric could not allocate the virtual machine in this region.",
    Operation.Kind.START: "The fabric could not start the virtual machine.",
    Operation.Kind.SHUT_DOWN: "The fabric could not shut down the virtual machine.",
    Operation.Kind.RESTART: "The fabric could not restart the virtual machine.",
    Operation.Kind.CONFIGURE: "The fabric could not restart the virtual machine with its new configuration.",
    Operation.Kind.DELETE: "The fabric could not delete the virtual machine.",
    Operation.Kind.UPDATE: "The fabric could not start the virtual machine again after its update.",
    Operation.Kind.FABRIC_FAILURE: "Service healing could not start the virtual machine again.",
}


# A carrier returns an error message, "" when the operation succeeded, or None when the fabric ends the operation
# itself later (operation_complete), as service healing does once a failure's time has passed.
Carrier = Callable[[Operation], "str | None"]


def carry_out(operation: Operation) -> str | None:
    """Carry out the operation through the registered carrier: an error message, "", or None (ended later)."""
    return _carrier(operation)


def carrier_register(function: Carrier) -> Carrier:
    """Make `function` the carrier of every operation (the fabric app registers its own when Django starts)."""
    global _carrier
    _carrier = function
    return function


# Operations the portal plans on a running machine, which a load balancer drains first, and the start that ends one.
PLANNED_KINDS = frozenset(
    {Operation.Kind.RESTART, Operation.Kind.SHUT_DOWN, Operation.Kind.CONFIGURE, Operation.Kind.UPDATE}
)
GUARDED_KINDS = PLANNED_KINDS | {Operation.Kind.START}

# A guard wraps a planned operation (or a start) on a machine: what it does before the machine goes down and after
# the operation. An exception from the operation passes through it.
Guard = Callable[[Operation], AbstractContextManager[None]]
_guards: list[Guard] = []


def planned_operation_guard_register(guard: Guard) -> Guard:
    """Wrap every planned operation and start carried out on a real host in `guard` (the balancer drains there)."""
    if guard not in _guards:
        _guards.append(guard)
    return guard


@contextlib.contextmanager
def planned_operation_guarded(operation: Operation) -> Iterator[None]:
    """Run the registered guards around the operation when it is planned (or a start); others pass straight on."""
    with contextlib.ExitStack() as stack:
        if operation.kind in GUARDED_KINDS:
            for guard in _guards:
                stack.enter_context(guard(operation))
        yield


def simulate(operation: Operation) -> str:
    """Take the operation's simulated time, passing through its states, and return an error message, or "".

    The worker runs its schedule (such as the load balancer's probes) beside the operation meanwhile: portal.worker.
    """
    if operation.kind == Operation.Kind.FABRIC_FAILURE:
        _wait_unless_cut_short(operation, float(operation.details.get("failure_seconds", 0)))
    time.sleep(settings.FABRIC_OPERATION_SECONDS)
    for status in PHASES.get(operation.kind, ()):
        if not operation_enter_phase(operation_id=operation.pk, attempt=operation.attempts, status=status):
            return ""  # superseded: the attempt that holds the operation now reports its outcome
        time.sleep(settings.FABRIC_OPERATION_SECONDS)
    if random.random() < settings.FABRIC_FAILURE_RATE:  # noqa: S311 - simulation, not security
        return FAILURE_REASONS[operation.kind]
    return ""


_carrier: Carrier = simulate


def _wait_unless_cut_short(operation: Operation, seconds: float) -> None:
    """Keep a failure in place for its time, or until someone asks the operation to end early."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, CUT_SHORT_POLL_SECONDS))
        if Operation.objects.filter(pk=operation.pk, details__cut_short=True).exists():
            return


def probe_answers(*, status: str, probe_fails: bool) -> bool:
    """Play the load balancer's probe of one VM: it answers while the VM is Running and not told to fail."""
    return status == VirtualMachine.Status.RUNNING and not probe_fails
