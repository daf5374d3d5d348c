"""The fabric's load balancer: one probe round over every set that is due, moving members in and out of rotation.

Sets a real load balancer carries are not probed here: its own checks decide their rotation, and a *rotation reader*
(registered by the app that drives it, as balancer does in its AppConfig.ready) reports it on every round, so the
history the cloud service page, the application page, the assessment and the drills read is the load balancer's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from endpoints.models import Endpoint, LoadBalancedSet, ProbeProtocol, RotationChange
from endpoints.rotation import MemberState, probe_outcome
from fabric.models import SIMULATED_URI
from fabric.probes import Probe, probes_run
from vms import fabric

logger = logging.getLogger(__name__)

# How long the rotation history is kept (and drawn).
ROTATION_HISTORY = timedelta(hours=1)


@dataclass(frozen=True)
class ProbeRound:
    probed: int
    entered: int
    left: int
    read: int = 0


@dataclass(frozen=True)
class RotationReading:
    """What a load balancer reports: the sets it carries and, for their members it holds, whether each is in rotation.

    A member of a carried set that the reading does not name (its VM has no address yet) is out of rotation.
    """

    set_ids: frozenset[int] = frozenset()
    in_rotation: dict[int, bool] = field(default_factory=dict)


RotationReader = Callable[[], RotationReading]
_rotation_readers: list[RotationReader] = []


def rotation_reader_register(reader: RotationReader) -> RotationReader:
    """Have every probe round take the rotation of the sets `reader` reports from it instead of probing them."""
    if reader not in _rotation_readers:
        _rotation_readers.append(reader)
    return reader


def rotation_readers_read() -> RotationReading:
    """Ask every registered reader; one that fails carries nothing this round (its sets are probed as before)."""
    set_ids: set[int] = set()
    in_rotation: dict[int, bool] = {}
    for reader in _rotation_readers:
        try:
            reading = reader()
        except Exception:
            logger.exception("The rotation reader %s failed; its sets are probed this round", reader.__name__)
            continue
        set_ids |= reading.set_ids
        in_rotation.update(reading.in_rotation)
    return RotationReading(frozenset(set_ids), in_rotation)


def set_probe(address: str, protocol: str, port: int, path: str) -> Probe:
    """Return the probe a set's rule makes for a member at `address`: an HTTP GET of the path (/ when empty), or TCP."""
    return Probe(address=address, port=port, http_path=(path or "/") if protocol == ProbeProtocol.HTTP else "")


def load_balanced_sets_probe(*, now: datetime) -> ProbeRound:
    """Probe the members of every set that is due, move them in or out of rotation and prune old history.

    One query reads every due member with its VM, its placement and its set; at most five bulk writes follow (three
    groups of members, the history, the sets' next probe) and one prune, whatever the number of members. Members on
    libvirt hosts are probed for real, side by side (a TCP connection to their address, or an HTTP GET of the probe
    path expecting 200), before the writes' transaction; members on simulated hosts answer while they run. The sets a
    rotation reader reports take their members' rotation from it, at every round, in one more read.
    """
    reading = rotation_readers_read()
    due = Q(load_balanced_set__next_probe_at__isnull=True) | Q(load_balanced_set__next_probe_at__lte=now)
    rows = Endpoint.objects.filter(due, load_balanced_set__isnull=False)
    if reading.set_ids:
        rows = rows.exclude(load_balanced_set_id__in=reading.set_ids)
    rows = rows.values_list(
        "pk",
        "load_balanced_set_id",
        "probe_failures",
        "in_rotation",
        "load_balanced_set__probe_count",
        "load_balanced_set__probe_interval",
        "virtual_machine__status",
        "virtual_machine__probe_fails",
        "virtual_machine__placement__host__uri",
        "virtual_machine__placement__address",
        "load_balanced_set__probe_protocol",
        "load_balanced_set__probe_port",
        "load_balanced_set__probe_path",
    )
    rows = list(rows)
    real = [row for row in rows if row[8] not in (None, SIMULATED_URI)]
    probes = [set_probe(address, protocol, port, path) for *_, address, protocol, port, path in real]
    answers = dict(
        zip([row[0] for row in real], probes_run(probes, timeout=settings.FABRIC_PROBE_TIMEOUT_SECONDS), strict=True)
    )
    return _probe_round_record(rows, answers, now, reading)


@transaction.atomic
def _probe_round_record(
    rows: list[tuple], answers: dict[int, bool], now: datetime, reading: RotationReading
) -> ProbeRound:
    """Move the probed and the reported members in or out of rotation, in a handful of bulk writes."""
    answered_ids: list[int] = []  # back to no failures, in rotation
    failed_ids: list[int] = []  # one more failure in a row
    leaving_ids: list[int] = []  # out of rotation
    history: list[RotationChange] = []
    next_probe: dict[int, datetime] = {}
    probed = read = 0
    if reading.set_ids:
        carried = Endpoint.objects.filter(load_balanced_set_id__in=reading.set_ids).values_list(
            "pk", "load_balanced_set_id", "in_rotation"
        )
        for pk, set_id, in_rotation in carried:
            read += 1
            now_in = reading.in_rotation.get(pk, False)
            if now_in == in_rotation:
                continue
            if now_in:
                answered_ids.append(pk)
            else:  # out with a failure counted, not back to awaiting its first probe
                leaving_ids.append(pk)
                failed_ids.append(pk)
            history.append(RotationChange(load_balanced_set_id=set_id, endpoint_id=pk, in_rotation=now_in, at=now))
    for pk, set_id, failures, in_rotation, probe_count, interval, status, probe_fails, *_placement in rows:
        probed += 1
        next_probe[set_id] = now + timedelta(seconds=interval)
        before = MemberState(failures, in_rotation)
        answered = answers[pk] if pk in answers else fabric.probe_answers(status=status, probe_fails=probe_fails)
        after = probe_outcome(before, answered=answered, probe_count=probe_count)
        if after == before:
            continue
        if answered:
            answered_ids.append(pk)
        elif after.failures > before.failures:
            failed_ids.append(pk)
        if before.in_rotation and not after.in_rotation:
            leaving_ids.append(pk)
        if after.in_rotation != before.in_rotation:
            history.append(
                RotationChange(load_balanced_set_id=set_id, endpoint_id=pk, in_rotation=after.in_rotation, at=now)
            )
    # Every member's new state falls in one of three groups, so three updates write them all.
    members = Endpoint.objects.all()
    if answered_ids:
        members.filter(pk__in=answered_ids).update(probe_failures=0, in_rotation=True)
    if failed_ids:
        members.filter(pk__in=failed_ids).update(probe_failures=F("probe_failures") + 1)
    if leaving_ids:
        members.filter(pk__in=leaving_ids).update(in_rotation=False)
    if history:
        RotationChange.objects.bulk_create(history)
    if next_probe:
        LoadBalancedSet.objects.bulk_update(
            [LoadBalancedSet(pk=pk, next_probe_at=at) for pk, at in next_probe.items()], ["next_probe_at"]
        )
    RotationChange.objects.filter(at__lt=now - ROTATION_HISTORY).delete()
    entered = sum(change.in_rotation for change in history)
    return ProbeRound(probed=probed, entered=entered, left=len(history) - entered, read=read)
