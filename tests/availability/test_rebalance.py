"""Rebalance: the fewest members move, each by a restart through the worker, one at a time, never two down at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from availability.models import Membership
from availability.placement import Slot, is_balanced
from availability.services import availability_set_rebalance
from tests import factories
from vms import fabric
from vms.models import Operation, VirtualMachine
from vms.services.operations import operations_recover_stale

pytestmark = pytest.mark.django_db

Status = VirtualMachine.Status


@pytest.fixture
def web_set(subscription):
    return factories.AvailabilitySetFactory(cloud_service__subscription=subscription, name="webset")


def members_at(availability_set, *slots):
    """Add one running member per (fault domain, update domain), named web1, web2, ... in joining order."""
    return [
        factories.MembershipFactory(
            availability_set=availability_set,
            virtual_machine__name=f"web{index}",
            virtual_machine__password_hash="!",
            fault_domain=fault_domain,
            update_domain=update_domain,
        ).virtual_machine
        for index, (fault_domain, update_domain) in enumerate(slots, start=1)
    ]


def slots_of(availability_set) -> dict[str, tuple[int, int]]:
    return {
        m.virtual_machine.name: (m.fault_domain, m.update_domain)
        for m in Membership.objects.filter(availability_set=availability_set).select_related("virtual_machine")
    }


def balanced(availability_set) -> bool:
    return is_balanced(
        [Slot(*slot) for slot in slots_of(availability_set).values()],
        fault_domain_count=availability_set.fault_domain_count,
        update_domain_count=availability_set.update_domain_count,
    )


@pytest.fixture
def watched_fabric(monkeypatch, web_set):
    """Record, each time the fabric restarts a VM, which members of the set are not Running at that moment."""
    seen: list[tuple[str, list[str]]] = []
    carry_out = fabric.carry_out

    def watching(operation):
        down = VirtualMachine.objects.filter(membership__availability_set=web_set).exclude(status=Status.RUNNING)
        seen.append((operation.target_name, sorted(down.values_list("name", flat=True))))
        return carry_out(operation)

    monkeypatch.setattr(fabric, "carry_out", watching)
    return seen


def test_two_leavers_unbalanced_set_is_reported_then_rebalanced_by_one_move(
    user, web_set, django_capture_on_commit_callbacks, capsys, watched_fabric
):
    # Joins at 0/0, 1/1, 0/2, 1/3, then the 0/0 and 0/2 members leave: FD 0 is empty, FD 1 holds two.
    members_at(web_set, (1, 1), (1, 3))
    with pytest.raises(CommandError):
        call_command("check_availability")

    with django_capture_on_commit_callbacks(execute=True):
        operation = availability_set_rebalance(availability_set=web_set, user=user)

    operation.refresh_from_db()
    assert operation.kind == Operation.Kind.RESTART
    assert operation.status == Operation.Status.SUCCEEDED
    assert operation.title == (
        "Moving virtual machine web2 to fault domain 0, update domain 0 (rebalancing webset, move 1 of 1)"
    )
    assert operation.message == "web2 is Running. Rebalancing webset is complete."
    assert operation.requested_by == user
    assert slots_of(web_set) == {"web1": (1, 1), "web2": (0, 0)}
    assert watched_fabric == [("web2", ["web2"])]
    call_command("check_availability")
    assert "webset: 2 members, balanced" in capsys.readouterr().out


def test_moves_run_one_after_another_each_starting_when_the_last_is_running(
    user, web_set, django_capture_on_commit_callbacks, watched_fabric
):
    members_at(web_set, (1, 0), (1, 1), (1, 2), (1, 3))

    with django_capture_on_commit_callbacks(execute=True):
        availability_set_rebalance(availability_set=web_set, user=user)

    moves = list(Operation.objects.order_by("pk"))
    assert [move.title for move in moves] == [
        "Moving virtual machine web3 to fault domain 0, update domain 2 (rebalancing webset, move 1 of 2)",
        "Moving virtual machine web4 to fault domain 0, update domain 3 (rebalancing webset, move 2 of 2)",
    ]
    assert all(move.status == Operation.Status.SUCCEEDED for move in moves)
    assert moves[1].started_at >= moves[0].ended_at
    assert moves[1].requested_by == user
    # Each restart found exactly one member down: the one it moved.
    assert watched_fabric == [("web3", ["web3"]), ("web4", ["web4"])]
    assert balanced(web_set)
    assert set(VirtualMachine.objects.values_list("status", flat=True)) == {Status.RUNNING}


def test_the_next_move_waits_for_the_worker_not_for_a_page(user, web_set, django_capture_on_commit_callbacks):
    members_at(web_set, (1, 0), (1, 1), (1, 2), (1, 3))
    with django_capture_on_commit_callbacks() as callbacks:
        availability_set_rebalance(availability_set=web_set, user=user)
    assert len(callbacks) == 1
    assert Operation.objects.count() == 1
    assert list(VirtualMachine.objects.exclude(status=Status.RUNNING).values_list("name", flat=True)) == ["web3"]


def test_a_failed_move_stops_the_rest(user, web_set, settings, django_capture_on_commit_callbacks):
    members_at(web_set, (1, 0), (1, 1), (1, 2), (1, 3))
    settings.FABRIC_FAILURE_RATE = 1

    with django_capture_on_commit_callbacks(execute=True):
        operation = availability_set_rebalance(availability_set=web_set, user=user)

    operation.refresh_from_db()
    assert operation.status == Operation.Status.FAILED
    assert operation.message.endswith("Rebalancing webset stopped; its other moves were not made.")
    assert Operation.objects.count() == 1
    assert slots_of(web_set)["web4"] == (1, 3)


def test_a_member_going_down_meanwhile_stops_the_next_move(
    user, web_set, monkeypatch, django_capture_on_commit_callbacks
):
    members_at(web_set, (1, 0), (1, 1), (1, 2), (1, 3))
    carry_out = fabric.carry_out

    def web1_stops_meanwhile(operation):
        VirtualMachine.objects.filter(name="web1").update(status=Status.STOPPED)
        return carry_out(operation)

    monkeypatch.setattr(fabric, "carry_out", web1_stops_meanwhile)

    with django_capture_on_commit_callbacks(execute=True):
        operation = availability_set_rebalance(availability_set=web_set, user=user)

    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED
    assert "Rebalancing webset stopped before its next move: web1 is Stopped." in operation.message
    assert Operation.objects.count() == 1


def test_a_move_whose_worker_died_is_retried_by_recovery_and_the_chain_goes_on(
    user, web_set, settings, django_capture_on_commit_callbacks
):
    members_at(web_set, (1, 0), (1, 1), (1, 2), (1, 3))
    with django_capture_on_commit_callbacks():  # the worker never carries it out
        first = availability_set_rebalance(availability_set=web_set, user=user)

    later = timezone.now() + timedelta(seconds=settings.OPERATION_TIMEOUT_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        operations_recover_stale(now=later)

    first.refresh_from_db()
    assert first.status == Operation.Status.SUCCEEDED
    assert first.attempts == 2
    assert Operation.objects.filter(status=Operation.Status.SUCCEEDED).count() == 2
    assert balanced(web_set)


class TestRefusals:
    def test_a_balanced_set_has_nothing_to_move(self, user, web_set):
        members_at(web_set, (0, 0), (1, 1))
        with pytest.raises(ValidationError) as refused:
            availability_set_rebalance(availability_set=web_set, user=user)
        assert refused.value.code == "balanced"
        assert refused.value.messages == ["webset is already in balance; there is nothing to move."]

    def test_a_busy_member_refuses_and_nothing_moves(self, user, web_set):
        web1, _, _, _ = members_at(web_set, (1, 0), (1, 1), (1, 2), (1, 3))
        factories.OperationFactory(virtual_machine=web1)
        with pytest.raises(ValidationError) as refused:
            availability_set_rebalance(availability_set=web_set, user=user)
        assert refused.value.code == "member_busy"
        assert refused.value.messages == [
            "Restarting virtual machine web1 is still in progress. Wait for it to finish, then rebalance webset."
        ]
        assert slots_of(web_set)["web4"] == (1, 3)
        assert Operation.objects.count() == 1

    def test_a_stopped_member_refuses(self, user, web_set):
        members_at(web_set, (1, 0), (1, 1), (1, 2), (1, 3))
        VirtualMachine.objects.filter(name="web2").update(status=Status.STOPPED)
        with pytest.raises(ValidationError) as refused:
            availability_set_rebalance(availability_set=web_set, user=user)
        assert refused.value.code == "member_not_running"
        assert refused.value.messages[0].startswith("web2 is Stopped. Every member of webset must be Running")
        assert not Operation.objects.exists()

    def test_a_plan_that_changed_since_it_was_shown_is_refused(self, user, web_set):
        members_at(web_set, (1, 0), (1, 1), (1, 2), (1, 3))
        with pytest.raises(ValidationError) as refused:
            availability_set_rebalance(availability_set=web_set, user=user, expected_plan="1:1/0>0/0")
        assert refused.value.code == "plan_changed"
        assert not Operation.objects.exists()
