"""Operations through the worker: the states a VM passes, how outcomes land, and recovery when a worker stops."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests import factories
from vms import operations, tasks
from vms.models import CloudService, Operation, VirtualMachine
from vms.operations import operation_complete
from vms.services.machines import vm_delete, vm_restart, vm_shut_down, vm_start
from vms.services.operations import operations_recover_stale

pytestmark = pytest.mark.django_db

Status = VirtualMachine.Status


@pytest.fixture
def vm(subscription):
    return factories.VirtualMachineFactory(name="web1", cloud_service__subscription=subscription)


def refreshed(obj):
    obj.refresh_from_db()
    return obj


class TestLifecycle:
    def test_shut_down_then_start_pass_through_stopping_and_starting(
        self, user, vm, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            vm_shut_down(vm=vm, user=user)
            assert refreshed(vm).status == Status.STOPPING
        assert refreshed(vm).status == Status.STOPPED
        with django_capture_on_commit_callbacks(execute=True):
            operation = vm_start(vm=vm, user=user)
            assert refreshed(vm).status == Status.STARTING
        assert refreshed(vm).status == Status.RUNNING
        operation.refresh_from_db()
        assert operation.status == Operation.Status.SUCCEEDED
        assert operation.message == "web1 is Running."
        assert operation.ended_at is not None
        assert operation.requested_by == user

    def test_nothing_runs_until_the_transaction_commits(self, user, vm, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks() as callbacks:
            vm_restart(vm=vm, user=user)
        assert len(callbacks) == 1
        assert refreshed(vm).status == Status.RESTARTING

    def test_a_fabric_failure_leaves_the_vm_stopped_and_says_why(
        self, user, vm, settings, django_capture_on_commit_callbacks
    ):
        settings.FABRIC_FAILURE_RATE = 1
        with django_capture_on_commit_callbacks(execute=True):
            operation = vm_restart(vm=vm, user=user)
        operation.refresh_from_db()
        assert operation.status == Operation.Status.FAILED
        assert "The fabric could not restart the virtual machine." in operation.message
        assert "web1 is Stopped." in operation.message
        assert refreshed(vm).status == Status.STOPPED

    def test_one_operation_at_a_time(self, user, vm):
        vm_restart(vm=vm, user=user)
        with pytest.raises(ValidationError) as raised:
            vm_shut_down(vm=vm, user=user)
        assert raised.value.code == "busy"
        assert Operation.objects.count() == 1

    def test_the_state_must_allow_the_command(self, user, vm):
        with pytest.raises(ValidationError) as raised:
            vm_start(vm=vm, user=user)
        assert raised.value.code == "wrong_state"
        assert not Operation.objects.exists()

    def test_delete_removes_the_cloud_service_only_for_its_last_vm_when_asked(
        self, user, vm, django_capture_on_commit_callbacks
    ):
        sibling = factories.VirtualMachineFactory(cloud_service=vm.cloud_service, name="web2")
        with django_capture_on_commit_callbacks(execute=True):
            vm_delete(vm=vm, user=user, delete_cloud_service=True)
        assert not VirtualMachine.objects.filter(pk=vm.pk).exists()
        assert CloudService.objects.filter(pk=sibling.cloud_service_id).exists()
        with django_capture_on_commit_callbacks(execute=True):
            operation = vm_delete(vm=sibling, user=user, delete_cloud_service=True)
        assert not CloudService.objects.filter(pk=sibling.cloud_service_id).exists()
        operation.refresh_from_db()
        assert operation.status == Operation.Status.SUCCEEDED
        assert operation.target_name == "web2"

    def test_an_outcome_for_a_superseded_attempt_is_ignored(self, user, vm):
        operation = vm_restart(vm=vm, user=user)
        Operation.objects.filter(pk=operation.pk).update(attempts=2)
        assert operation_complete(operation_id=operation.pk, attempt=1) is None
        assert refreshed(operation).in_progress
        assert refreshed(vm).status == Status.RESTARTING
        assert tasks.carry_out_operation.call(operation.pk, 1) == "superseded"

    def test_the_worker_task_finishes_the_current_attempt(self, user, vm):
        operation = vm_restart(vm=vm, user=user)
        assert tasks.carry_out_operation.call(operation.pk, 1) == Operation.Status.SUCCEEDED
        assert refreshed(vm).status == Status.RUNNING


class TestStaleRecovery:
    """A worker stopped in the middle of a restart: the operation is retried, then failed, never left hanging."""

    def stalled_restart(self, vm, settings):
        vm.status = Status.RESTARTING
        vm.save(update_fields=["status"])
        operation = factories.OperationFactory(virtual_machine=vm, kind=Operation.Kind.RESTART)
        Operation.objects.filter(pk=operation.pk).update(
            attempt_started_at=timezone.now() - timedelta(seconds=settings.OPERATION_TIMEOUT_SECONDS + 5)
        )
        return operation

    def test_a_fresh_operation_is_left_alone(self, vm, settings):
        operation = factories.OperationFactory(virtual_machine=vm)
        assert operations_recover_stale() == []
        assert refreshed(operation).attempts == 1

    def test_a_stalled_restart_is_retried_then_failed_and_the_vm_leaves_restarting(self, vm, settings):
        settings.OPERATION_MAX_ATTEMPTS = 2
        operation = self.stalled_restart(vm, settings)

        assert operations_recover_stale() == [operation]
        operation.refresh_from_db()
        assert operation.attempts == 2
        assert operation.in_progress
        assert operation.message == ("The worker stopped before this operation finished; retrying (attempt 2 of 2).")
        assert refreshed(vm).status == Status.RESTARTING

        assert operations_recover_stale() == []
        later = timezone.now() + timedelta(seconds=settings.OPERATION_TIMEOUT_SECONDS + 5)
        assert operations_recover_stale(now=later) == [operation]
        operation.refresh_from_db()
        assert operation.status == Operation.Status.FAILED
        assert "did not finish within" in operation.message
        assert "was abandoned" in operation.message
        assert refreshed(vm).status == Status.STOPPED
        assert operation.ended_at is not None

    def test_the_retry_runs_in_the_worker_and_the_vm_comes_back(self, vm, settings, django_capture_on_commit_callbacks):
        operation = self.stalled_restart(vm, settings)
        with django_capture_on_commit_callbacks(execute=True):
            operations_recover_stale()
        assert refreshed(operation).status == Operation.Status.SUCCEEDED
        assert refreshed(vm).status == Status.RUNNING

    def test_the_stopped_workers_late_outcome_does_not_override_the_retry(self, vm, settings):
        operation = self.stalled_restart(vm, settings)
        operations_recover_stale()
        assert operation_complete(operation_id=operation.pk, attempt=1, error="lost") is None
        assert refreshed(operation).in_progress
        assert operation_complete(operation_id=operation.pk, attempt=2) is not None
        assert refreshed(vm).status == Status.RUNNING

    def test_every_subscriptions_operations_are_recovered(self, vm, settings):
        theirs = self.stalled_restart(factories.VirtualMachineFactory(status=Status.RESTARTING), settings)
        ours = self.stalled_restart(vm, settings)
        assert set(operations_recover_stale()) == {theirs, ours}

    def test_a_queued_attempts_clock_starts_when_the_worker_takes_it_up(self, vm, settings, monkeypatch):
        """Time an operation waits in the queue behind other work does not count towards its timeout."""
        operation = self.stalled_restart(vm, settings)
        seen = []
        monkeypatch.setattr(tasks.fabric, "carry_out", lambda op: seen.append(operations_recover_stale()) or "")
        assert tasks.carry_out_operation.call(operation.pk, 1) == Operation.Status.SUCCEEDED
        assert seen == [[]]
        assert refreshed(operation).attempts == 1


class TestFollowUps:
    """A chain of operations goes on however each link ends: by the worker, or failed by the recovery sweep."""

    @pytest.fixture
    def ended(self, monkeypatch):
        calls = []
        monkeypatch.setattr(operations, "follow_ups", {})
        operations.operation_follow_up("tests.next_move")(lambda operation: calls.append(refreshed(operation)))
        return calls

    def test_the_follow_up_runs_when_the_worker_finishes_the_operation(self, vm, ended):
        operation = factories.OperationFactory(virtual_machine=vm, details={"follow_up": "tests.next_move"})
        tasks.carry_out_operation.call(operation.pk, 1)
        assert [(op.pk, op.status) for op in ended] == [(operation.pk, Operation.Status.SUCCEEDED)]

    def test_the_follow_up_runs_when_the_sweep_fails_the_operation(self, vm, settings, ended):
        settings.OPERATION_MAX_ATTEMPTS = 1
        operation = factories.OperationFactory(virtual_machine=vm, details={"follow_up": "tests.next_move"})
        Operation.objects.filter(pk=operation.pk).update(attempt_started_at=timezone.now() - timedelta(days=1))
        operations_recover_stale()
        assert [(op.pk, op.status) for op in ended] == [(operation.pk, Operation.Status.FAILED)]

    def test_an_operation_without_a_follow_up_ends_alone(self, vm, ended):
        operation = factories.OperationFactory(virtual_machine=vm)
        tasks.carry_out_operation.call(operation.pk, 1)
        assert ended == []
