"""Two Rebalance confirmations of one set at the same moment start one move, never two (PostgreSQL row locks)."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from availability import services
from availability.services import availability_set_rebalance
from tests import factories
from vms.models import Operation, VirtualMachine

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def queued_moves(settings):
    # Moves are queued for a worker that is not running, so the first stays in progress while the second is tried.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_two_confirmations_at_once_start_one_move(user, subscription, monkeypatch):
    web_set = factories.AvailabilitySetFactory(cloud_service__subscription=subscription, name="webset")
    for index, update_domain in enumerate((0, 1, 2, 3), start=1):
        factories.MembershipFactory(
            availability_set=web_set,
            virtual_machine__name=f"web{index}",
            virtual_machine__password_hash="!",
            fault_domain=1,
            update_domain=update_domain,
        )
    plan = services.availability_set_rebalance_moves

    def slow_plan(*args, **kwargs):
        moves = plan(*args, **kwargs)
        time.sleep(0.3)
        return moves

    monkeypatch.setattr(services, "availability_set_rebalance_moves", slow_plan)
    barrier = threading.Barrier(2)
    results: list[object] = [None, None]

    def confirm(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = availability_set_rebalance(availability_set=web_set, user=user)
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    started = [result for result in results if isinstance(result, Operation)]
    refused = [result for result in results if isinstance(result, ValidationError)]
    assert len(started) == 1, results
    assert [error.code for error in refused] == ["member_busy"], results
    assert Operation.objects.filter(status=Operation.Status.IN_PROGRESS).count() == 1
    assert VirtualMachine.objects.exclude(status=VirtualMachine.Status.RUNNING).count() == 1
