"""Drills through the worker's operations: the states VMs pass, holds, stopping, recovery and the report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from applications.drills import drills_recover_stale
from applications.models import Drill
from applications.services import drill_start, drill_stop, role_add
from tests import factories
from tests.helpers.applications import web_shop
from vms.models import Operation, VirtualMachine
from vms.services.machines import vm_restart, vm_shut_down

pytestmark = pytest.mark.django_db

Status = VirtualMachine.Status


def statuses(application):
    return dict(
        VirtualMachine.objects.filter(cloud_service__subscription=application.subscription).values_list(
            "name", "status"
        )
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
class TestWalk:
    def test_a_walk_takes_the_lone_sql_server_down_and_blames_data(self, subscription, user):
        application = web_shop(subscription)
        drill = drill_start(application=application, kind=Drill.Kind.WALK, user=user)
        drill.refresh_from_db()
        assert drill.status == Drill.Status.COMPLETED
        assert not drill.predicted_survives
        assert drill.predicted_blame == "Data"
        assert drill.went_down
        assert drill.observed_blame == "Data"
        assert drill.observed_down == ["Data"]
        assert drill.matched_prediction
        assert drill.down_seconds > 0
        assert set(statuses(application).values()) == {Status.RUNNING}
        assert not VirtualMachine.objects.exclude(held_by="").exists()
        kinds = list(Operation.objects.filter(kind=Operation.Kind.UPDATE).values_list("target_name", "status"))
        assert sorted(kinds) == [("IIS1", "succeeded"), ("IIS2", "succeeded"), ("SQL1", "succeeded")]
        texts = [event.text for event in drill.events.all()]
        assert texts[0].startswith("Planned maintenance walk of Web shop begins. The application is up.")
        assert any("Update domain 0: IIS1, SQL1 shut down for their update." in t for t in texts)
        assert any("The application is down: Data has no member up (SQL1 Stopping)." in t for t in texts)
        assert texts[-1] == "The drill completed."

    def test_with_sql2_in_its_own_set_the_walk_keeps_the_application_up(self, subscription, user):
        application = web_shop(subscription, sql_in_set=True)
        drill = drill_start(application=application, kind=Drill.Kind.WALK, user=user)
        drill.refresh_from_db()
        assert drill.status == Drill.Status.COMPLETED
        assert drill.predicted_survives
        assert not drill.went_down
        assert drill.down_seconds == 0
        assert drill.matched_prediction
        assert drill.plan == [
            {"domain": 0, "vms": sorted(drill.plan[0]["vms"])},
            {"domain": 1, "vms": sorted(drill.plan[1]["vms"])},
        ]

    def test_a_stopped_vm_stays_stopped(self, subscription, user):
        application = web_shop(subscription, sql_in_set=True)
        sql2 = VirtualMachine.objects.get(name="SQL2")
        vm_shut_down(vm=sql2, user=user)
        drill = drill_start(application=application, kind=Drill.Kind.WALK, user=user)
        drill.refresh_from_db()
        assert statuses(application)["SQL2"] == Status.STOPPED
        assert drill.went_down  # SQL1 alone serves Data, and update domain 0 takes it
        assert drill.observed_blame == drill.predicted_blame == "Data"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rack_failure_stops_its_fault_domain_then_service_healing_starts_it(subscription, user):
    application = web_shop(subscription, sql_in_set=True)
    drill = drill_start(
        application=application, kind=Drill.Kind.RACK_FAILURE, fault_domain=1, failure_seconds=0, user=user
    )
    drill.refresh_from_db()
    assert drill.status == Drill.Status.COMPLETED
    assert not drill.went_down and drill.predicted_survives
    failures = Operation.objects.filter(kind=Operation.Kind.FABRIC_FAILURE).order_by("target_name")
    assert [op.target_name for op in failures] == ["IIS2", "SQL2"]
    assert set(statuses(application).values()) == {Status.RUNNING}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rack_failure_of_one_roles_set_leaves_the_other_sets_alone(subscription, user):
    application = web_shop(subscription, sql_in_set=True)
    data = application.roles.get(name="Data")
    drill = drill_start(application=application, kind=Drill.Kind.RACK_FAILURE, fault_domain=0, role=data, user=user)
    drill.refresh_from_db()
    assert drill.title == "Rack failure of fault domain 0 of Data"
    failures = Operation.objects.filter(kind=Operation.Kind.FABRIC_FAILURE).values_list("target_name", flat=True)
    assert list(failures) == ["SQL1"]
    assert drill.matched_prediction and not drill.went_down


class TestSafety:
    def test_commands_on_a_held_vm_are_refused_with_the_reason(self, subscription, user):
        application = web_shop(subscription)
        drill_start(application=application, kind=Drill.Kind.WALK, user=user)  # commit hooks never run here
        iis1 = VirtualMachine.objects.get(name="IIS1")
        assert iis1.held_by == "a drill of Web shop (planned maintenance walk)"
        with pytest.raises(ValidationError) as raised:
            vm_restart(vm=iis1, user=user)
        assert raised.value.messages == [
            "IIS1 is held by a drill of Web shop (planned maintenance walk); restart is possible once it ends or is "
            "stopped."
        ]

    def test_one_drill_at_a_time(self, subscription, user):
        application = web_shop(subscription)
        drill_start(application=application, kind=Drill.Kind.WALK, user=user)
        with pytest.raises(ValidationError) as raised:
            drill_start(application=application, kind=Drill.Kind.WALK, user=user)
        assert raised.value.messages == [
            "A drill of Web shop is running. Stop it, or wait for it to end, then try again."
        ]

    def test_a_busy_vm_keeps_a_drill_from_starting(self, subscription, user):
        application = web_shop(subscription)
        vm_restart(vm=VirtualMachine.objects.get(name="SQL1"), user=user)
        with pytest.raises(ValidationError) as raised:
            drill_start(application=application, kind=Drill.Kind.WALK, user=user)
        assert raised.value.messages == ["SQL1 is Restarting. Drill once every virtual machine is running or stopped."]
        assert not Drill.objects.exists()

    def test_stopping_before_the_first_step_ends_the_drill_and_releases_every_vm(
        self, subscription, user, django_capture_on_commit_callbacks
    ):
        application = web_shop(subscription)
        drill = drill_start(application=application, kind=Drill.Kind.WALK, user=user)
        with django_capture_on_commit_callbacks(execute=True):
            drill_stop(drill=drill)
        drill.refresh_from_db()
        assert drill.status == Drill.Status.STOPPED
        assert not VirtualMachine.objects.exclude(held_by="").exists()
        assert not Operation.objects.filter(kind=Operation.Kind.UPDATE).exists()
        with pytest.raises(ValidationError):
            drill_stop(drill=drill)

    def test_a_failed_step_ends_the_drill_and_starts_again_what_it_left_stopped(
        self, subscription, user, settings, django_capture_on_commit_callbacks
    ):
        application = web_shop(subscription)
        settings.FABRIC_FAILURE_RATE = 1
        with django_capture_on_commit_callbacks(execute=True):
            drill = drill_start(application=application, kind=Drill.Kind.WALK, user=user)
        drill.refresh_from_db()
        assert drill.status == Drill.Status.FAILED
        assert "could not start the virtual machine again after its update" in drill.outcome
        assert drill.step == 1
        assert not VirtualMachine.objects.exclude(held_by="").exists()
        starts = Operation.objects.filter(kind=Operation.Kind.START).values_list("target_name", flat=True)
        assert sorted(starts) == ["IIS1", "SQL1"]

    def test_a_drill_whose_worker_stopped_between_steps_is_driven_on_then_abandoned(self, subscription, user):
        application = web_shop(subscription)
        drill = drill_start(application=application, kind=Drill.Kind.WALK, user=user)  # its first task never ran
        assert drills_recover_stale() == []
        Drill.objects.filter(pk=drill.pk).update(updated_at=timezone.now() - timedelta(minutes=3))
        assert drills_recover_stale() == [drill]
        drill.refresh_from_db()
        assert drill.step == 1 and drill.running
        Operation.objects.update(status=Operation.Status.SUCCEEDED)
        Drill.objects.filter(pk=drill.pk).update(updated_at=timezone.now() - timedelta(minutes=10))
        drills_recover_stale()
        drill.refresh_from_db()
        assert drill.status == Drill.Status.FAILED
        assert drill.outcome.startswith("The worker stopped during the drill; it was abandoned.")
        assert not VirtualMachine.objects.exclude(held_by="").exists()


def stack_depth() -> int:
    import sys

    frame, depth = sys._getframe(1), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_walk_of_twenty_update_domains_keeps_the_stack_flat_with_tasks_run_at_once(subscription, user, monkeypatch):
    """Each step's follow-up runs inside the one before with the immediate backend; the chain must not deepen."""
    from applications.services import application_create
    from vms import fabric

    availability_set = factories.AvailabilitySetFactory(
        cloud_service__subscription=subscription, update_domain_count=20
    )
    for update_domain in range(20):
        factories.MembershipFactory(
            availability_set=availability_set, fault_domain=update_domain % 2, update_domain=update_domain
        )
    application = application_create(subscription=subscription, name="Twenty")
    role_add(application=application, name="Web", availability_set=availability_set)
    depths = []
    original = fabric.carry_out

    def measured(operation):
        depths.append(stack_depth())
        return original(operation)

    monkeypatch.setattr("vms.tasks.fabric.carry_out", measured)
    drill = drill_start(application=application, kind=Drill.Kind.WALK, user=user)
    drill.refresh_from_db()
    assert drill.status == Drill.Status.COMPLETED
    assert drill.step == 20 and len(depths) == 20
    assert max(depths) == min(depths)
    assert not drill.went_down
