"""Drills through the real worker and the database task backend, held to the assessment's prediction."""

from __future__ import annotations

import random

import pytest

from applications.assessment import Scenario
from applications.models import Drill
from applications.selectors import application_view
from applications.services import application_create, dependency_add, drill_start, role_add
from tests import factories
from tests.helpers.worker import portal_worker
from vms.models import Operation, VirtualMachine

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

APPLICATIONS = 8


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.FABRIC_OPERATION_SECONDS = 0


def run_worker() -> None:
    """Run the portal's worker until no task is ready: every step of the drill, then its follow-ups."""
    portal_worker("drill-tests", interval=0, batch=True, max_tasks=None).run()


def random_application(subscription, rng: random.Random):
    """Build 1-4 roles (sets of 1-5 members with random slots, or lone VMs), some VMs stopped, random dependencies."""
    service = factories.CloudServiceFactory(subscription=subscription)
    application = application_create(subscription=subscription, name=f"app{rng.randrange(10**9)}")
    roles = []
    for index in range(rng.randint(1, 4)):
        status = lambda: VirtualMachine.Status.STOPPED if rng.random() < 0.15 else VirtualMachine.Status.RUNNING  # noqa: E731
        if rng.random() < 0.75:
            availability_set = factories.AvailabilitySetFactory(cloud_service=service)
            for _ in range(rng.randint(1, 5)):
                factories.MembershipFactory(
                    availability_set=availability_set,
                    virtual_machine__cloud_service=service,
                    virtual_machine__status=status(),
                    fault_domain=rng.randrange(2),
                    update_domain=rng.randrange(5),
                )
            roles.append(role_add(application=application, name=f"r{index}", availability_set=availability_set))
        else:
            vm = factories.VirtualMachineFactory(cloud_service=service, status=status())
            roles.append(role_add(application=application, name=f"r{index}", virtual_machine=vm))
    rng.shuffle(roles)
    for i in range(len(roles)):
        for j in range(i):
            if rng.random() < 0.4:
                dependency_add(role=roles[i], depends_on=roles[j])
    return application


def run_drill(application, **arguments) -> Drill:
    before = dict(
        VirtualMachine.objects.filter(cloud_service__subscription=application.subscription).values_list("pk", "status")
    )
    drill = drill_start(application=application, **arguments)
    run_worker()
    drill.refresh_from_db()
    assert drill.status == Drill.Status.COMPLETED, drill.outcome
    after = dict(
        VirtualMachine.objects.filter(cloud_service__subscription=application.subscription).values_list("pk", "status")
    )
    assert after == before  # every VM is back in the power state it had
    assert not VirtualMachine.objects.exclude(held_by="").exists()
    assert not Operation.objects.filter(status=Operation.Status.IN_PROGRESS).exists()
    return drill


@pytest.mark.parametrize("seed", range(APPLICATIONS))
def test_observed_downtime_is_zero_exactly_when_the_assessment_says_the_application_survives(
    seed, subscription, user, database_tasks
):
    application = random_application(subscription, random.Random(seed))
    view = application_view(application)
    verdicts = {verdict.scenario: verdict for verdict in view.assessment.verdicts}

    update = verdicts[Scenario.UPDATE_ROUND]
    walk = run_drill(application, kind=Drill.Kind.WALK, user=user)
    assert (walk.down_seconds > 0) == (not update.survives) == walk.went_down
    assert walk.observed_blame == view.role_name(update.blamed)
    assert walk.matched_prediction

    rack = verdicts[Scenario.RACK_FAILURE]
    seen_down: set[str] = set()
    for fault_domain in (0, 1):
        drill = run_drill(application, kind=Drill.Kind.RACK_FAILURE, fault_domain=fault_domain, user=user)
        assert drill.matched_prediction
        assert (drill.down_seconds > 0) == drill.went_down
        seen_down |= set(drill.observed_down)
        for role in application.roles.all():  # the rack of one role's set only
            alone = run_drill(
                application, kind=Drill.Kind.RACK_FAILURE, fault_domain=fault_domain, role=role, user=user
            )
            assert alone.matched_prediction
            assert set(alone.observed_down) <= set(drill.observed_down)
    # Failing each fault domain in turn takes down exactly the roles the worst case names.
    assert seen_down == {view.role_name(outage.role) for outage in rack.outages}
    assert (not seen_down) == rack.survives
