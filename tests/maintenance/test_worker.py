"""Host maintenance through the real worker and the database task backend, on simulated hosts."""

from __future__ import annotations

import pytest

from fabric.models import Host, Placement
from maintenance.models import MaintenanceRun
from maintenance.selectors import RoundRequests, run_report
from maintenance.services import maintenance_plan, maintenance_start, maintenance_stop
from tests.helpers.maintenance import shop
from tests.helpers.worker import portal_worker
from vms.models import Operation, VirtualMachine

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.FABRIC_OPERATION_SECONDS = 0
    settings.MAINTENANCE_SIMULATED_REBOOT_SECONDS = 0


def run_worker(max_tasks: int | None = None) -> None:
    portal_worker("maintenance-tests", interval=0, batch=True, max_tasks=max_tasks).run()


def nothing_down(store) -> None:
    assert set(
        VirtualMachine.objects.filter(pk__in=[vm.pk for vm in store.vms.values()]).values_list("status", flat=True)
    ) == {VirtualMachine.Status.RUNNING}
    assert not VirtualMachine.objects.exclude(held_by="").exists()
    assert not Operation.objects.filter(status=Operation.Status.IN_PROGRESS).exists()
    assert set(Host.objects.filter(rack=store.rack).values_list("state", flat=True)) == {Host.State.AVAILABLE}


def test_a_run_walks_every_round_and_ends_completed_with_nothing_down_as_the_assessment_predicted(
    subscription, user, database_tasks
):
    store = shop(subscription)
    run = maintenance_plan(hosts=store.hosts, scope="rack maintenance-rack", user=user)
    assert run.plan["lower_bound"] <= len(run.plan["rounds"])
    maintenance_start(run=run, user=user)
    run_worker()
    run.refresh_from_db()
    assert run.status == MaintenanceRun.Status.COMPLETED, run.outcome
    assert run.round == len(run.plan["rounds"])
    nothing_down(store)
    shut_down = Operation.objects.filter(kind=Operation.Kind.SHUT_DOWN, details__maintenance=run.pk)
    assert shut_down.count() == len(store.vms)  # each VM once, in its host's round
    assert Operation.objects.filter(kind=Operation.Kind.START, details__maintenance=run.pk).count() == len(store.vms)
    report = run_report(run, run.ended_at)
    by_name = {application.application: application for application in report.applications}
    # Only the lone VM's role goes down: predicted and observed.
    assert by_name["Shop"].predicted_down == ["Batch"]
    assert [(role.role, role.down_seconds > 0) for role in by_name["Shop"].observed_down] == [("Batch", True)]
    assert by_name["Site"].predicted_up and by_name["Site"].observed_up
    # No load balancer in the region: each round's lost requests are not measured.
    rounds = range(1, len(run.plan["rounds"]) + 1)
    assert by_name["Shop"].requests_lost == [RoundRequests(number, None) for number in rounds]
    assert report.matched
    assert [timeline.number for timeline in report.rounds] == list(range(len(run.plan["rounds"]) + 1))


def test_the_maintenance_command_runs_and_its_output_is_kept(subscription, user, database_tasks):
    store = shop(subscription, maintenance_command='echo "updating $PORTAL_HOST"', maintenance_timeout_seconds=10)
    run = maintenance_start(run=maintenance_plan(hosts=store.hosts[:1], scope="m-h1", user=user), user=user)
    run_worker()
    run.refresh_from_db()
    assert run.status == MaintenanceRun.Status.COMPLETED, run.outcome
    assert run.events.filter(output="updating m-h1\n").exists()
    nothing_down(store)


def test_a_failing_command_stops_the_run_and_says_where(subscription, user, database_tasks):
    store = shop(subscription, maintenance_command="echo broken >&2; exit 3", maintenance_timeout_seconds=10)
    run = maintenance_start(run=maintenance_plan(hosts=store.hosts, scope="rack", user=user), user=user)
    run_worker()
    run.refresh_from_db()
    assert run.status == MaintenanceRun.Status.FAILED
    first = run.plan["rounds"][0]["host_names"][0]
    assert run.outcome.startswith(f"Round 1, host {first}: the maintenance command exited with status 3.")
    assert "Left in Maintenance" in run.outcome
    assert run.round == 1
    assert run.events.filter(output="broken\n").exists()
    assert not VirtualMachine.objects.exclude(held_by="").exists()


def test_a_command_past_its_time_limit_fails_the_run(subscription, user, database_tasks):
    store = shop(subscription, maintenance_command="sleep 5", maintenance_timeout_seconds=1)
    run = maintenance_start(run=maintenance_plan(hosts=store.hosts[3:], scope="m-h4", user=user), user=user)
    run_worker()
    run.refresh_from_db()
    assert run.status == MaintenanceRun.Status.FAILED
    assert "ran past its 1 seconds" in run.outcome


def test_stop_ends_after_the_round_under_way_and_leaves_nothing_down(subscription, user, database_tasks):
    store = shop(subscription)
    run = maintenance_start(run=maintenance_plan(hosts=store.hosts, scope="rack", user=user), user=user)
    assert len(run.plan["rounds"]) > 1
    run_worker(max_tasks=1)  # the first round begins
    run.refresh_from_db()
    assert run.round == 1 and run.phase == MaintenanceRun.Phase.SHUTTING_DOWN
    maintenance_stop(run=run)
    run_worker()
    run.refresh_from_db()
    assert run.status == MaintenanceRun.Status.STOPPED, run.outcome
    assert run.round == 1
    nothing_down(store)


def test_a_round_whose_machine_another_holds_does_not_begin_and_says_which(subscription, user, database_tasks):
    store = shop(subscription)
    run = maintenance_plan(hosts=store.hosts[:1], scope="m-h1", user=user)
    held = Placement.objects.filter(host_id=run.plan["rounds"][0]["hosts"][0]).first().virtual_machine
    VirtualMachine.objects.filter(pk=held.pk).update(held_by="drill 7")
    maintenance_start(run=run, user=user)
    run_worker()
    run.refresh_from_db()
    assert run.status == MaintenanceRun.Status.FAILED
    assert run.outcome == f"Round 1: {held.name} is held by drill 7; the round did not begin."
    assert VirtualMachine.objects.get(pk=held.pk).held_by == "drill 7"
    assert not Operation.objects.filter(details__maintenance=run.pk).exists()
