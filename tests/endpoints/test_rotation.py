"""The rotation rule and the timeline, as pure functions, against a brute-force reading of the probe history."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from endpoints.rotation import (
    RANDOM_PORT_RANGE,
    MemberState,
    free_public_port,
    is_due,
    joining_state,
    probe_outcome,
    set_is_up,
    timeline,
)


def brute_force_in_rotation(answers: list[bool], probe_count: int) -> bool:
    """In rotation when the last answer came after fewer than probe_count failures in a row (never answered: out)."""
    if True not in answers:
        return False
    trailing_failures = len(answers) - 1 - max(i for i, answered in enumerate(answers) if answered)
    return trailing_failures < probe_count


@given(st.lists(st.booleans(), max_size=30), st.integers(min_value=2, max_value=6))
def test_rotation_follows_the_last_success_and_the_failures_after_it(answers, probe_count):
    state = joining_state()
    for answered in answers:
        state = probe_outcome(state, answered=answered, probe_count=probe_count)
    assert state.in_rotation == brute_force_in_rotation(answers, probe_count)
    assert state.awaits_first_probe == (not answers)
    assert 0 <= state.failures <= probe_count


def test_a_member_leaves_after_number_of_probes_failures_and_returns_after_one_success():
    state = MemberState(0, True)
    state = probe_outcome(state, answered=False, probe_count=3)
    state = probe_outcome(state, answered=False, probe_count=3)
    assert state == MemberState(2, True)
    state = probe_outcome(state, answered=False, probe_count=3)
    assert state == MemberState(3, False)
    assert probe_outcome(state, answered=True, probe_count=3) == MemberState(0, True)


def test_a_new_member_awaits_its_first_probe_out_of_rotation_with_no_failures():
    state = joining_state()
    assert state.awaits_first_probe
    assert (state.failures, state.in_rotation) == (0, False)


def test_a_new_member_whose_probes_fail_stays_out_counting_its_failures():
    state = joining_state()
    for failures in (1, 2, 3, 3):
        state = probe_outcome(state, answered=False, probe_count=3)
        assert state == MemberState(failures, False)
        assert not state.awaits_first_probe
    assert probe_outcome(state, answered=True, probe_count=3) == MemberState(0, True)


def test_a_failure_never_brings_a_member_back_even_after_the_number_of_probes_grew():
    assert probe_outcome(MemberState(2, False), answered=False, probe_count=5) == MemberState(3, False)


def test_a_set_is_up_while_one_member_is_in_rotation():
    assert set_is_up([False, True])
    assert not set_is_up([False, False])
    assert not set_is_up([])


def test_a_set_is_due_when_never_probed_or_its_time_has_come():
    now = datetime(2013, 6, 1, tzinfo=UTC)
    assert is_due(next_probe_at=None, now=now)
    assert is_due(next_probe_at=now, now=now)
    assert not is_due(next_probe_at=now + timedelta(seconds=1), now=now)


@given(st.sets(st.integers(min_value=1, max_value=65535), max_size=200), st.integers(min_value=1, max_value=65535))
def test_a_chosen_public_port_is_never_taken_and_is_the_preferred_one_when_free(taken, preferred):
    port = free_public_port(preferred, taken, random.Random(1))
    assert port not in taken
    if preferred not in taken:
        assert port == preferred
    else:
        assert port in RANDOM_PORT_RANGE


def test_no_port_is_chosen_when_the_dynamic_range_is_full():
    assert free_public_port(22, {22, *RANDOM_PORT_RANGE}, random.Random(1)) is None


def test_the_timeline_shows_in_out_and_in_again():
    now = datetime(2013, 6, 1, 12, tzinfo=UTC)
    start = now - timedelta(hours=1)
    joined = now - timedelta(minutes=30)
    out_at, back_at = now - timedelta(minutes=10), now - timedelta(minutes=5)
    segments = timeline(
        window_start=start,
        now=now,
        joined_at=joined,
        changes=[(joined + timedelta(seconds=15), True), (out_at, False), (back_at, True)],
        in_rotation_now=True,
    )
    assert [(s.start, s.end, s.in_rotation) for s in segments] == [
        (joined, joined + timedelta(seconds=15), False),
        (joined + timedelta(seconds=15), out_at, True),
        (out_at, back_at, False),
        (back_at, now, True),
    ]


def test_a_member_with_no_change_in_the_hour_is_drawn_in_its_current_state():
    now = datetime(2013, 6, 1, 12, tzinfo=UTC)
    segments = timeline(
        window_start=now - timedelta(hours=1),
        now=now,
        joined_at=now - timedelta(days=1),
        changes=[],
        in_rotation_now=True,
    )
    assert [(s.start, s.in_rotation) for s in segments] == [(now - timedelta(hours=1), True)]
