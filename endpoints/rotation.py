"""Probe and rotation decisions: pure functions over plain values, no ORM and no clock of their own.

A load-balanced set's member is in rotation while its probe answers. It leaves rotation after its set's *Number Of
Probes* failures in a row and comes back after one success; a failure never brings a member in. A new member awaits
its first probe: out of rotation with no failures, a state no probe leaves behind (an answer brings a member in, a
failure counts one).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

LOWEST_PORT = 1
HIGHEST_PORT = 65535
# Public ports chosen for default endpoints when the well-known one is taken: the dynamic range.
RANDOM_PORT_RANGE = range(49152, HIGHEST_PORT + 1)


@dataclass(frozen=True)
class MemberState:
    """Where a member stands: its consecutive probe failures (capped at the set's probe count) and its rotation."""

    failures: int
    in_rotation: bool

    @property
    def awaits_first_probe(self) -> bool:
        return awaits_first_probe(self.failures, self.in_rotation)


def awaits_first_probe(failures: int, in_rotation: bool) -> bool:
    """Tell whether a member has not been probed yet: out of rotation, yet with no failure counted."""
    return not in_rotation and failures == 0


def joining_state() -> MemberState:
    """Return the state of a member that has not been probed yet: out of rotation until its probe answers."""
    return MemberState(failures=0, in_rotation=False)


def is_in_rotation(failures: int, probe_count: int) -> bool:
    """Tell whether a member with this many consecutive failures still takes traffic."""
    return failures < probe_count


def probe_outcome(state: MemberState, *, answered: bool, probe_count: int) -> MemberState:
    """Return a member's state after one probe: back in on an answer, out after probe_count failures in a row."""
    if answered:
        return MemberState(failures=0, in_rotation=True)
    failures = min(state.failures + 1, probe_count)
    return MemberState(failures=failures, in_rotation=state.in_rotation and is_in_rotation(failures, probe_count))


def is_due(*, next_probe_at: datetime | None, now: datetime) -> bool:
    """Tell whether a set's members are probed in a round at `now`."""
    return next_probe_at is None or next_probe_at <= now


def set_is_up(in_rotation: Iterable[bool]) -> bool:
    """Tell whether a set's public port answers: at least one member is in rotation."""
    return any(in_rotation)


def free_public_port(preferred: int, taken: set[int], rng: random.Random) -> int | None:
    """Choose a public port not in `taken`: the preferred one when free, else a random free one in the dynamic range."""
    if preferred not in taken:
        return preferred
    free_count = len(RANDOM_PORT_RANGE) - len(taken & set(RANDOM_PORT_RANGE))
    if free_count <= 0:
        return None
    for _ in range(64):
        port = rng.choice(RANDOM_PORT_RANGE)
        if port not in taken:
            return port
    return next(port for port in RANDOM_PORT_RANGE if port not in taken)


@dataclass(frozen=True)
class Segment:
    """A stretch of a member's timeline: in or out of rotation from `start` to `end`."""

    start: datetime
    end: datetime
    in_rotation: bool


def timeline(
    *,
    window_start: datetime,
    now: datetime,
    joined_at: datetime,
    changes: Sequence[tuple[datetime, bool]],
    in_rotation_now: bool,
) -> list[Segment]:
    """Draw a member's rotation over a window as segments, from its changes (time, in rotation after) in order.

    Before its first change in the window a member was in the opposite state of that change; with no change it was
    in its current state all along. Nothing is drawn before the member joined.
    """
    start = max(window_start, joined_at)
    if start >= now:
        return []
    visible = [(at, state) for at, state in changes if start <= at <= now]
    state = (not visible[0][1]) if visible else in_rotation_now
    if joined_at >= window_start and visible and visible[0][0] == joined_at:
        state = visible[0][1]
    segments: list[Segment] = []
    cursor = start
    for at, after in visible:
        if after == state:
            continue
        if at > cursor:
            segments.append(Segment(cursor, at, state))
        cursor, state = at, after
    segments.append(Segment(cursor, now, state))
    return segments


def window_fraction(moment: datetime, *, window_start: datetime, window: timedelta) -> float:
    """Return where a moment falls in the window, from 0 (its start) to 1 (now)."""
    return min(max((moment - window_start) / window, 0.0), 1.0)
