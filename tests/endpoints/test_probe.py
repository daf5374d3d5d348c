"""Probe rounds: the worker moves members in and out of rotation, in a constant number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from endpoints.models import Endpoint, LoadBalancedSet, RotationChange
from endpoints.probes import load_balanced_sets_probe
from endpoints.selectors import load_balanced_sets_for_vms
from endpoints.services import endpoint_create
from portal import periodic as schedule
from tests.factories import CloudServiceFactory, EndpointFactory, LoadBalancedSetFactory, VirtualMachineFactory
from vms.models import VirtualMachine
from vms.operations import operation_complete
from vms.services.machines import vm_delete, vm_restart

pytestmark = pytest.mark.django_db

Status = VirtualMachine.Status


@pytest.fixture
def web_set():
    service = CloudServiceFactory()
    vms = [VirtualMachineFactory(cloud_service=service, name=f"web{i}") for i in (1, 2)]
    first = endpoint_create(
        vm=vms[0],
        name="HTTP",
        protocol="tcp",
        public_port=80,
        private_port=80,
        load_balanced_set_name="web",
        probe_protocol="http",
        probe_port=80,
        probe_path="/",
        probe_interval=15,
        probe_count=2,
    )
    endpoint_create(
        vm=vms[1],
        name="HTTP",
        protocol="tcp",
        public_port=80,
        private_port=80,
        load_balanced_set=first.load_balanced_set,
    )
    return first.load_balanced_set, vms


def rotation(lb_set: LoadBalancedSet) -> dict[str, bool]:
    return dict(lb_set.members.values_list("virtual_machine__name", "in_rotation"))


def test_members_enter_rotation_on_their_first_answer(web_set):
    lb_set, _ = web_set
    result = load_balanced_sets_probe(now=timezone.now())
    assert (result.probed, result.entered, result.left) == (2, 2, 0)
    assert rotation(lb_set) == {"web1": True, "web2": True}


def test_a_stopped_member_leaves_after_number_of_probes_failures_and_returns_after_one_answer(web_set):
    lb_set, vms = web_set
    start = timezone.now()
    load_balanced_sets_probe(now=start)
    VirtualMachine.objects.filter(pk=vms[0].pk).update(status=Status.STOPPED)

    load_balanced_sets_probe(now=start + timedelta(seconds=15))
    assert rotation(lb_set) == {"web1": True, "web2": True}  # one failure of two
    load_balanced_sets_probe(now=start + timedelta(seconds=30))
    assert rotation(lb_set) == {"web1": False, "web2": True}

    VirtualMachine.objects.filter(pk=vms[0].pk).update(status=Status.RUNNING)
    load_balanced_sets_probe(now=start + timedelta(seconds=45))
    assert rotation(lb_set) == {"web1": True, "web2": True}
    assert list(
        RotationChange.objects.filter(endpoint__virtual_machine=vms[0]).values_list("in_rotation", flat=True)
    ) == [
        True,
        False,
        True,
    ]


def test_a_set_is_probed_only_when_its_interval_has_passed(web_set):
    start = timezone.now()
    assert load_balanced_sets_probe(now=start).probed == 2
    assert load_balanced_sets_probe(now=start + timedelta(seconds=14)).probed == 0
    assert load_balanced_sets_probe(now=start + timedelta(seconds=15)).probed == 2


def test_the_fabric_knob_fails_a_running_members_probe(web_set):
    lb_set, vms = web_set
    VirtualMachine.objects.filter(pk=vms[1].pk).update(probe_fails=True)
    start = timezone.now()
    for step in range(3):
        load_balanced_sets_probe(now=start + timedelta(seconds=15 * step))
    assert rotation(lb_set) == {"web1": True, "web2": False}
    (state,) = load_balanced_sets_for_vms([vms[0].pk])
    assert (state.in_rotation_count, state.is_up) == (1, True)


def test_with_no_member_in_rotation_the_port_is_down(web_set):
    _lb_set, vms = web_set
    VirtualMachine.objects.filter(pk__in=[vm.pk for vm in vms]).update(status=Status.STOPPED)
    start = timezone.now()
    for step in range(2):
        load_balanced_sets_probe(now=start + timedelta(seconds=15 * step))
    (state,) = load_balanced_sets_for_vms([vm.pk for vm in vms])
    assert not state.is_up and state.in_rotation_count == 0


def test_history_older_than_an_hour_is_pruned_in_the_same_round(web_set):
    _lb_set, _vms = web_set
    start = timezone.now()
    load_balanced_sets_probe(now=start)
    assert RotationChange.objects.count() == 2
    load_balanced_sets_probe(now=start + timedelta(hours=1, seconds=15))
    assert RotationChange.objects.count() == 0


@pytest.mark.parametrize("members", [3, 60])
def test_a_round_takes_the_same_queries_whatever_the_number_of_members(django_assert_num_queries, members):
    service = CloudServiceFactory()
    lb_set = LoadBalancedSetFactory(cloud_service=service, public_port=80)
    vms = VirtualMachine.objects.bulk_create(
        VirtualMachineFactory.build(cloud_service=service, storage_account=VirtualMachineFactory().storage_account)
        for _ in range(members)
    )
    for vm in vms:
        EndpointFactory(virtual_machine=vm, load_balanced_set=lb_set, public_port=80, private_port=80)
    # The load balancers the rotation readers ask (none here), savepoint, read, bulk update of members, bulk insert of
    # history, bulk update of the set, prune, release.
    with django_assert_num_queries(8):
        result = load_balanced_sets_probe(now=timezone.now())
    assert result.entered == members


def test_the_worker_probes_on_its_schedule(web_set):
    lb_set, _vms = web_set
    start = timezone.now()
    assert "endpoints.probe" in schedule.periodic_run_due(now=start)
    assert rotation(lb_set) == {"web1": True, "web2": True}


def test_a_restarted_vm_goes_out_of_rotation_and_back_through_the_worker(web_set, user, settings):
    """Restart keeps the VM in Restarting while probes fail; once Running again its next probe brings it back."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    lb_set, vms = web_set
    start = timezone.now()
    load_balanced_sets_probe(now=start)
    vm_restart(vm=vms[0], user=user)  # queued, not carried out: the VM stays Restarting
    for step in (1, 2):
        load_balanced_sets_probe(now=start + timedelta(seconds=15 * step))
    assert rotation(lb_set) == {"web1": False, "web2": True}

    operation = vms[0].operations.get()
    operation_complete(operation_id=operation.pk, attempt=operation.attempts)
    load_balanced_sets_probe(now=start + timedelta(seconds=45))
    assert rotation(lb_set) == {"web1": True, "web2": True}
    assert Endpoint.objects.filter(in_rotation=True).count() == 2
    assert not RotationChange.objects.filter(endpoint__virtual_machine=vms[1], in_rotation=False).exists()


def test_a_set_left_empty_by_deleted_vms_is_removed_by_the_worker(web_set, user, django_capture_on_commit_callbacks):
    lb_set, vms = web_set
    for vm in vms:
        with django_capture_on_commit_callbacks(execute=True):
            vm_delete(vm=vm, user=user)  # carried out at once: the VMs and their endpoints are gone
    assert not Endpoint.objects.filter(load_balanced_set=lb_set).exists()
    assert LoadBalancedSet.objects.filter(pk=lb_set.pk).exists()
    assert "endpoints.remove_empty_sets" in schedule.periodic_run_due(now=timezone.now())
    assert not LoadBalancedSet.objects.filter(pk=lb_set.pk).exists()
