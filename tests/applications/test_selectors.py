"""Rows into the assessment's values: slots, power states and the load balancer's rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from applications.assessment import FindingKind
from applications.drills import drills_waiting_advance
from applications.models import Drill
from applications.selectors import application_view
from applications.services import drill_start
from endpoints.probes import load_balanced_sets_probe
from fabric.models import Rack
from tests import factories
from tests.helpers.applications import web_shop
from tests.helpers.fabric import place_in_rack
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


def test_each_member_s_rack_comes_from_its_host_s_placement(subscription):
    """IIS1 on r1, IIS2, SQL1 and SQL2 on r2: fault domains 0 and 1 of SQLSet share r2, and the verdict says so."""
    application = web_shop(subscription, sql_in_set=True)
    for name, rack in (("IIS1", "r1"), ("IIS2", "r2"), ("SQL1", "r2"), ("SQL2", "r2")):
        place_in_rack(VirtualMachine.objects.get(name=name), rack)
    view = application_view(application)
    region = VirtualMachine.objects.get(name="IIS1").cloud_service.region
    racks = {rack.name: rack.pk for rack in Rack.objects.filter(region=region)}
    members = {m.name: (m.rack, m.rack_name) for role in view.value.roles for m in role.members}
    assert members == {
        "IIS1": (racks["r1"], "r1 of West US"),
        "IIS2": (racks["r2"], "r2 of West US"),
        "SQL1": (racks["r2"], "r2 of West US"),
        "SQL2": (racks["r2"], "r2 of West US"),
    }
    rack = view.assessment.verdicts[0]
    assert not rack.survives and view.role_name(rack.blamed) == "Data"
    assert rack.reasons == (
        "Rack r2 of West US holds SQL1 and SQL2, every member of the Data role that is up: a failure of that rack "
        "takes the role down; Web depends on Data.",
    )
    assert [f.text for f in view.assessment.findings if f.kind == FindingKind.SHARED_RACK] == [
        "Fault domains 0 and 1 of SQLSet share rack r2 of West US: a failure of that rack takes the whole set down."
    ]
    data = next(role for role in view.roles if role.role.name == "Data")
    assert [row.rack_names for row in data.grid] == [["r2"], ["r2"]]


def test_a_vm_without_a_placement_keeps_its_fault_domain_as_its_rack(subscription):
    """SQL2 has no placement: its fault domain stands for its rack, so SQLSet survives the failure of r2."""
    application = web_shop(subscription, sql_in_set=True)
    for name, rack in (("IIS1", "r1"), ("IIS2", "r2"), ("SQL1", "r2")):
        place_in_rack(VirtualMachine.objects.get(name=name), rack)
    view = application_view(application)
    sql2 = next(m for role in view.value.roles for m in role.members if m.name == "SQL2")
    assert (sql2.rack, sql2.rack_name) == (None, "")
    assert view.assessment.verdicts[0].survives
    assert not view.assessment.findings


def test_a_lone_vm_on_a_rack_is_named_with_it(subscription):
    application = web_shop(subscription)
    place_in_rack(VirtualMachine.objects.get(name="SQL1"), "r3")
    (reason,) = application_view(application).assessment.verdicts[0].reasons
    assert reason == (
        "Rack r3 of West US holds SQL1, the only member of the Data role, and it is in no availability set: a "
        "failure of that rack takes the role down; Web depends on Data."
    )


def test_a_rack_failure_drill_predicts_the_failure_of_the_rack_its_fault_domain_sits_on(subscription, user):
    """Fault domain 0 of every set is on r1, where SQL2 (fault domain 1) sits too: the drill predicts Data down."""
    application = web_shop(subscription, sql_in_set=True)
    for name, rack in (("IIS1", "r1"), ("IIS2", "r2"), ("SQL1", "r1"), ("SQL2", "r1")):
        place_in_rack(VirtualMachine.objects.get(name=name), rack)
    drill = drill_start(application=application, kind=Drill.Kind.RACK_FAILURE, fault_domain=0, user=user)
    assert not drill.predicted_survives
    assert (drill.predicted_down, drill.predicted_blame) == (["Data"], "Data")


def test_a_rack_failure_drill_of_a_fault_domain_on_several_racks_keeps_the_fault_domain(subscription, user):
    """IIS1 on r1, SQL1 not placed: fault domain 0 names no one rack, so only its members are predicted down."""
    application = web_shop(subscription, sql_in_set=True)
    for name, rack in (("IIS1", "r1"), ("IIS2", "r2"), ("SQL2", "r1")):
        place_in_rack(VirtualMachine.objects.get(name=name), rack)
    drill = drill_start(application=application, kind=Drill.Kind.RACK_FAILURE, fault_domain=0, user=user)
    assert drill.predicted_survives and drill.predicted_down == []


def test_a_member_on_a_libvirt_host_is_up_only_while_its_host_reports_it_running(subscription):
    application = web_shop(subscription)
    iis1 = VirtualMachine.objects.get(name="IIS1")
    placement = place_in_rack(iis1, "r1")
    placement.host.uri = "qemu+ssh://root@host1/system"
    placement.host.save(update_fields=["uri"])
    web_key = application.roles.get(name="Web").pk

    def member():
        web = application_view(application).value.role(web_key)
        return next((m.running, m.status_label) for m in web.members if m.name == "IIS1")

    assert member() == (True, "Running")  # not observed yet: the portal's state stands
    placement.observed_state = "stopped"
    placement.save(update_fields=["observed_state"])
    assert member() == (False, "Running, but its host reports it stopped")
    placement.observed_state = "running"
    placement.save(update_fields=["observed_state"])
    assert member() == (True, "Running")
