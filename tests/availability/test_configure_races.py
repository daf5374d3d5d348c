"""Configure saves joining one set at the same moment take turns on the set's row lock, and on nothing wider.

The VM's own lock covers only its row, so these races are decided by the set's lock alone (PostgreSQL).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from availability import services
from availability.models import Membership
from availability.placement import is_balanced
from console.services import virtual_machine_configure
from tests import factories
from vms.models import Operation, VirtualMachine
from vms.services.operations import vm_lock_for_operation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def slow_placement(monkeypatch):
    """Widen the window between reading a set's slots and writing the new one, as a busy database would."""
    next_slot = services.next_slot

    def slow_next_slot(*args, **kwargs):
        slot = next_slot(*args, **kwargs)
        time.sleep(0.3)
        return slot

    monkeypatch.setattr(services, "next_slot", slow_next_slot)


def save_configure_together(user, vms, availability_set) -> list[int]:
    """Post each VM's Configure form from its own thread, all released at once; return the status codes."""
    barrier = threading.Barrier(len(vms))
    statuses: list[int] = []
    errors: list[BaseException] = []
    clients = []
    for _ in vms:
        client = Client()
        client.force_login(user)
        clients.append(client)

    def save(client: Client, vm: VirtualMachine) -> None:
        try:
            barrier.wait(timeout=10)
            response = client.post(
                reverse("vms:configure", args=[vm.pk]),
                {"size": vm.size_id, "availability_set": str(availability_set.pk), "availability_set_name": ""},
            )
            statuses.append(response.status_code)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(client, vm)) for client, vm in zip(clients, vms, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return statuses


def test_two_saves_joining_one_set_at_once_land_in_distinct_slots(user, subscription, slow_placement):
    web_set = factories.AvailabilitySetFactory(cloud_service__subscription=subscription, name="webset")
    vms = [factories.VirtualMachineFactory(cloud_service=web_set.cloud_service, name=name) for name in ("web1", "web2")]

    statuses = save_configure_together(user, vms, web_set)

    assert statuses == [302, 302]
    slots = {(m.fault_domain, m.update_domain) for m in Membership.objects.filter(availability_set=web_set)}
    assert slots == {(0, 0), (1, 1)}
    assert set(VirtualMachine.objects.values_list("status", flat=True)) == {VirtualMachine.Status.RUNNING}


def test_five_saves_at_once_keep_the_spread_in_compliance(user, subscription, slow_placement):
    web_set = factories.AvailabilitySetFactory(cloud_service__subscription=subscription, name="webset")
    factories.MembershipFactory(availability_set=web_set, fault_domain=0, update_domain=0)
    vms = [factories.VirtualMachineFactory(cloud_service=web_set.cloud_service, name=f"web{i}") for i in range(5)]

    save_configure_together(user, vms, web_set)

    memberships = list(Membership.objects.filter(availability_set=web_set))
    assert len(memberships) == 6
    assert len({m.update_domain for m in memberships}) == 5
    assert is_balanced(
        [services.Slot(m.fault_domain, m.update_domain) for m in memberships],
        fault_domain_count=web_set.fault_domain_count,
        update_domain_count=web_set.update_domain_count,
    )


def test_configure_waits_for_no_other_vm_of_its_cloud_service(user, subscription):
    """A Configure save goes ahead while another VM of the cloud service is locked for an operation of its own."""
    web_set = factories.AvailabilitySetFactory(cloud_service__subscription=subscription, name="webset")
    busy, configured = (
        factories.VirtualMachineFactory(cloud_service=web_set.cloud_service, name=name) for name in ("web1", "web2")
    )
    held, release = threading.Event(), threading.Event()

    def hold_busy_vm() -> None:
        try:
            with transaction.atomic():
                vm_lock_for_operation(vm=busy, kind=Operation.Kind.RESTART)
                held.set()
                release.wait(timeout=20)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_busy_vm)
    thread.start()
    try:
        assert held.wait(timeout=10)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            operation = virtual_machine_configure(
                vm=configured, user=user, size=configured.size, availability_set=web_set
            )
    finally:
        release.set()
        thread.join(timeout=30)

    assert operation.kind == Operation.Kind.CONFIGURE
    assert Membership.objects.get(virtual_machine=configured).availability_set == web_set
