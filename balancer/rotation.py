"""HAProxy's side of rotation: reading its servers' states into the rotation history, and draining a member first.

Registered in BalancerConfig.ready: :func:`haproxy_rotation` as the probe round's rotation reader (endpoints.probes),
and :func:`drained` as the guard of planned operations (vms.fabric). Before the portal restarts, shuts down, resizes,
moves or updates a member of a set a load balancer carries, the member's server is set to drain (no new connections)
and the portal waits, at most LOAD_BALANCER_DRAIN_SECONDS, until its current sessions end; once the operation is done
and the machine answers its probe again (at most LOAD_BALANCER_READY_SECONDS), the server is set ready and HAProxy's
own check keeps it in rotation. A machine shut down stays drained until it is started again.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from django.conf import settings

from balancer import haproxy
from balancer.config import SET_BACKEND, set_rotation
from balancer.selectors import DrainTarget, drain_targets, enabled_load_balancers
from endpoints.probes import RotationReading
from fabric.probes import probe_answers
from vms.fabric import PLANNED_KINDS
from vms.models import Operation

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.2


def haproxy_rotation() -> RotationReading:
    """Read every enabled load balancer's servers: the sets each carries and which members take traffic."""
    set_ids: set[int] = set()
    in_rotation: dict[int, bool] = {}
    for load_balancer in enabled_load_balancers():
        try:
            states = haproxy.RuntimeApi(load_balancer.runtime_socket).servers_state()
        except (haproxy.HAProxyError, OSError):
            continue  # not running: its sets are probed by the portal meanwhile
        carried, members = set_rotation([(state.backend, state.server, state.in_rotation) for state in states])
        set_ids |= carried
        in_rotation.update(members)
    return RotationReading(frozenset(set_ids), in_rotation)


def failed_requests_by_set() -> dict[int, int]:
    """Read, per set the enabled load balancers carry, the connections its backend failed (HAProxy's counters)."""
    failed: dict[int, int] = {}
    for load_balancer in enabled_load_balancers():
        try:
            counts = haproxy.RuntimeApi(load_balancer.runtime_socket).failed_requests()
        except (haproxy.HAProxyError, OSError):
            continue  # not running: its sets are not measured
        for backend, count in counts.items():
            if match := SET_BACKEND.match(backend):
                failed[int(match[1])] = count
    return failed


def _each(targets: list[DrainTarget], action: Callable[[haproxy.RuntimeApi, DrainTarget], None]) -> None:
    for target in targets:
        try:
            action(haproxy.RuntimeApi(target.runtime_socket), target)
        except (haproxy.HAProxyError, OSError) as error:
            logger.warning("Load balancer: %s/%s: %s", target.backend, target.server, error)


def _wait(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_SECONDS)
    return True


def _sessions(targets: list[DrainTarget]) -> int:
    """Count the targets' current sessions, reading each load balancer's servers once (one ``show stat``)."""
    servers_by_socket: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for target in targets:
        servers_by_socket[target.runtime_socket].add((target.backend, target.server))
    total = 0
    for runtime_socket, servers in servers_by_socket.items():
        try:
            states = haproxy.RuntimeApi(runtime_socket).servers_state()
        except (haproxy.HAProxyError, OSError):
            continue
        total += sum(state.sessions for state in states if (state.backend, state.server) in servers)
    return total


def members_drain(targets: list[DrainTarget], *, seconds: float) -> bool:
    """Set the servers to drain and wait until their current sessions end; False when the time ran out first."""
    _each(targets, lambda api, target: api.set_server_state(target.backend, target.server, "drain"))
    return _wait(lambda: _sessions(targets) == 0, seconds)


def members_ready(targets: list[DrainTarget], *, seconds: float) -> None:
    """Wait until the machine answers its probes (bounded), then set its servers ready."""
    probes = [target.probe for target in targets if target.probe is not None]
    timeout = settings.FABRIC_PROBE_TIMEOUT_SECONDS
    _wait(lambda: all(probe_answers(probe, timeout=timeout) for probe in probes), seconds)
    _each(targets, lambda api, target: api.set_server_state(target.backend, target.server, "ready"))


def drained(operation: Operation) -> AbstractContextManager[None]:
    """Drain the VM's members before a planned operation and put them back once it answers again."""
    targets = drain_targets(operation.virtual_machine_id) if operation.virtual_machine_id else []
    return members_drained(targets, kind=operation.kind, name=operation.target_name)


@contextmanager
def members_drained(targets: list[DrainTarget], *, kind: str, name: str) -> Iterator[None]:
    """Drain the servers before an operation of this kind (when it is planned), and put them back after it."""
    if not targets:
        yield
        return
    if kind in PLANNED_KINDS and not members_drain(targets, seconds=settings.LOAD_BALANCER_DRAIN_SECONDS):
        logger.warning("Load balancer: %s still had sessions when its drain time ran out", name)
    try:
        yield
    except BaseException:
        # Whatever state the machine is in, HAProxy's checks decide from here.
        _each(targets, lambda api, target: api.set_server_state(target.backend, target.server, "ready"))
        raise
    if kind != Operation.Kind.SHUT_DOWN:
        members_ready(targets, seconds=settings.LOAD_BALANCER_READY_SECONDS)
