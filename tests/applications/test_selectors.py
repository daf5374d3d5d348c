"""Rows into the assessment's values: slots, power states and the load balancer's rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.drills import drills_waiting_advance
from applications.models import Drill
from applications.selectors import application_view
from applications.services import drill_start
from endpoints.probes import load_balanced_sets_probe
from tests import factories
from tests.helpers.applications import web_shop
from vms.fabric import carry_out
from vms.models import VirtualMachine

pytestmark = pytest.mark.django_db


def balance(application, *, in_rotation: dict[str, bool]):
    """Put the Web role's members in one load-balanced set, each in or out of rotation."""
    web_set = application.roles.get(name="Web").availability_set
    lb_set = factories.LoadBalancedSetFactory(cloud_service=web_set.cloud_service, name="web80", public_port=80)
    for membership in web_set.memberships.select_related("virtual_machine"):
        factories.EndpointFactory(
            virtual_machine=membership.virtual_machine,
            load_balanced_set=lb_set,
            public_port=80,
            private_port=80,
            in_rotation=in_rotation[membership.virtual_machine.name],
        )
    return lb_set


def test_slots_states_and_rotation_reach_the_assessment(subscription):
    application = web_shop(subscription, sql_in_set=True)
    balance(application, in_rotation={"IIS1": True, "IIS2": False})
    view = application_view(application)
    web = view.value.role(application.roles.get(name="Web").pk)
    assert web.set_name == "WebSet"
    assert {(m.name, m.fault_domain, m.update_domain, m.running) for m in web.members} == {
        ("IIS1", 0, 0, True),
        ("IIS2", 1, 1, True),
    }
    assert [lb.name for lb in web.load_balanced_sets] == ["web80"]
    # IIS2 is running but out of rotation: a rack failure in fault domain 0 leaves Web with nothing in rotation.
    rack = view.assessment.verdicts[0]
    assert not rack.survives
    assert view.role_name(rack.blamed) == "Web"


def test_a_lone_vm_in_a_set_since_it_became_a_role_counts_with_its_slot(subscription):
    application = web_shop(subscription)
    sql1 = VirtualMachine.objects.get(name="SQL1")
    sql_set = factories.AvailabilitySetFactory(name="SQLSet", cloud_service=sql1.cloud_service)
    factories.MembershipFactory(availability_set=sql_set, virtual_machine=sql1, fault_domain=0, update_domain=0)
    data = application_view(application).value.role(application.roles.get(name="Data").pk)
    assert data.set_name == "SQLSet" and len(data.members) == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_walk_waits_for_each_domain_to_return_to_rotation(subscription, user, monkeypatch):
    application = web_shop(subscription, sql_in_set=True)
    balance(application, in_rotation={"IIS1": True, "IIS2": True})
    clock = [timezone.now()]

    def probe_round() -> None:
        clock[0] += timedelta(minutes=1)
        load_balanced_sets_probe(now=clock[0])

    def update_long_enough_for_the_probes_to_notice(operation):
        if operation.target_name.startswith("IIS"):
            probe_round()
            probe_round()  # the set's two probes in a row fail while the web server is down: it leaves rotation
        return carry_out(operation)

    monkeypatch.setattr("vms.tasks.fabric.carry_out", update_long_enough_for_the_probes_to_notice)
    drill = drill_start(application=application, kind=Drill.Kind.WALK, user=user)
    drill.refresh_from_db()
    # Update domain 0 is running again, but IIS1 answers no probe until the next round: the walk waits.
    assert drill.running and drill.waiting_for_rotation and drill.step == 1
    assert drills_waiting_advance() == [drill.pk]
    drill.refresh_from_db()
    assert drill.step == 1
    probe_round()
    drills_waiting_advance()
    drill.refresh_from_db()
    assert drill.step == 2 and drill.waiting_for_rotation
    probe_round()
    drills_waiting_advance()
    drill.refresh_from_db()
    assert drill.status == Drill.Status.COMPLETED
    assert not drill.went_down and drill.matched_prediction
    assert any("IIS1 is running; waiting until back in rotation." in e.text for e in drill.events.all())


def test_deleting_a_roles_vm_leaves_the_role_down_and_named(subscription, user, django_capture_on_commit_callbacks):
    from vms.services.machines import vm_delete

    application = web_shop(subscription)
    with django_capture_on_commit_callbacks(execute=True):
        vm_delete(vm=VirtualMachine.objects.get(name="SQL1"), user=user)
    view = application_view(application)
    assert [role.role.name for role in view.roles] == ["Web", "Data"]
    assert not view.assessment.now.up
    assert view.role_name(view.assessment.now.blamed) == "Data"
    assert view.assessment.verdicts[0].reasons == (
        "The Data role is down now: none of its members is up; Web depends on Data.",
    )
