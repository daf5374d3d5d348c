"""Writes for host maintenance: plan a run from the hosts staff chose, start it on the worker, ask it to stop."""

from __future__ import annotations

import json
from dataclasses import asdict

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fabric.models import Host
from maintenance import planner
from maintenance.engine import run_event, run_observe
from maintenance.models import MaintenanceRun
from maintenance.selectors import plan_input, predictions
from maintenance.tasks import maintenance_begin


def _plan(host_ids: list[int]) -> tuple[dict, list[dict]]:
    """Plan the hosts and ask each application's assessment what the rounds do to it."""
    given = plan_input(host_ids)
    result = planner.plan(given.hosts, given.vms, given.roles)
    rounds = [[vm.key for vm in r.vms] for r in result.rounds]
    plan = json.loads(json.dumps(asdict(result)))  # as the database gives it back: lists, not tuples
    plan["lower_bound"] = planner.lower_bound(given.hosts, given.vms, given.roles)
    return plan, predictions(given.applications, rounds)


@transaction.atomic
def maintenance_plan(*, hosts: list[Host], scope: str, user: AbstractBaseUser | None) -> MaintenanceRun:
    """Plan maintenance of the hosts: rounds that keep every application up, shown to staff before anything runs."""
    if not hosts:
        raise ValidationError("Choose at least one host.", code="no_hosts")
    host_ids = sorted(host.pk for host in hosts)
    plan, predicted = _plan(host_ids)
    run = MaintenanceRun(
        scope=scope[:200],
        host_ids=host_ids,
        plan=plan,
        predictions=predicted,
        started_by=user if user and user.is_authenticated else None,
    )
    run.full_clean()
    run.save()
    return run


def _groups(plan: dict) -> list[list[int]]:
    return [sorted(r["hosts"]) for r in plan["rounds"]]


@transaction.atomic
def maintenance_start(*, run: MaintenanceRun, user: AbstractBaseUser | None) -> MaintenanceRun:
    """Start a planned run on the worker, if its plan still holds and no other run is under way."""
    run = MaintenanceRun.objects.select_for_update().get(pk=run.pk)
    if run.status != MaintenanceRun.Status.PLANNED:
        raise ValidationError("This maintenance has already run.", code="not_planned")
    if not run.plan["rounds"]:
        raise ValidationError("The plan has no round to run.", code="empty")
    if MaintenanceRun.objects.filter(
        status__in=[MaintenanceRun.Status.RUNNING, MaintenanceRun.Status.STOPPING]
    ).exists():
        raise ValidationError("Another maintenance is under way; run this one when it ends.", code="busy")
    plan, predicted = _plan(run.host_ids)
    if _groups(plan) != _groups(run.plan) or plan["unplaceable"] != run.plan["unplaceable"]:
        raise ValidationError(
            "The virtual machines on these hosts changed since the plan was made: plan the maintenance again.",
            code="stale",
        )
    run.plan, run.predictions = plan, predicted
    run.status = MaintenanceRun.Status.RUNNING
    run.started_at = timezone.now()
    if user and user.is_authenticated:
        run.started_by = user
    run.save(update_fields=["plan", "predictions", "status", "started_at", "started_by", "updated_at"])
    run_event(run, f"Maintenance of {run.scope} begins: {len(plan['rounds'])} rounds.", down_roles={})
    run_observe(run)
    run_id = run.pk
    transaction.on_commit(lambda: maintenance_begin.enqueue(run_id))
    return run


@transaction.atomic
def maintenance_stop(*, run: MaintenanceRun) -> MaintenanceRun:
    """Ask a run to stop: it ends after the round under way, with that round's VMs started again."""
    run = MaintenanceRun.objects.select_for_update().get(pk=run.pk)
    if run.status != MaintenanceRun.Status.RUNNING:
        raise ValidationError("This maintenance is not running.", code="not_running")
    run.stop_requested = True
    run.status = MaintenanceRun.Status.STOPPING
    run.save(update_fields=["stop_requested", "status", "updated_at"])
    run_event(run, "Stop requested: the maintenance ends after the round under way.")
    if run.phase == MaintenanceRun.Phase.IDLE:
        run_id = run.pk
        transaction.on_commit(lambda: maintenance_begin.enqueue(run_id))
    return run
