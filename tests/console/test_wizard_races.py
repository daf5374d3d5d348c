"""What the wizard's deploy does when people finish it at the same moment (PostgreSQL row locks)."""

from __future__ import annotations

import time

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from availability.models import AvailabilitySet, Membership
from availability.placement import Slot, is_balanced
from availability.services import availability_set_join
from tests import factories
from tests.helpers.races import at_once
from vms.models import CloudService, Operation, StorageAccount, VirtualMachine
from vms.services import machines, storage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_two_people_racing_for_one_dns_name_one_wins_the_other_gets_the_field_error():
    people = [factories.UserFactory() for _ in range(2)]
    subscriptions = [factories.SubscriptionFactory(members=[person]) for person in people]

    results = at_once(2, lambda index: factories.deploy(people[index], subscriptions[index]))

    operations = [result for result in results if isinstance(result, Operation)]
    refusals = [result for result in results if isinstance(result, ValidationError)]
    assert len(operations) == 1, results
    assert len(refusals) == 1, results
    assert [error.code for error in refusals[0].error_dict["dns_name"]] == ["dns_name_taken"]
    assert CloudService.objects.filter(name="contosoweb").count() == 1
    assert VirtualMachine.objects.count() == 1


def test_vms_connecting_to_one_set_at_once_take_distinct_slots():
    person = factories.UserFactory()
    subscription = factories.SubscriptionFactory(members=[person])
    first = factories.deploy(person, subscription, availability_set_name="webset").virtual_machine
    web_set = AvailabilitySet.objects.get()

    results = at_once(
        4,
        lambda index: factories.deploy(
            person,
            subscription,
            name=f"web{index + 2}",
            dns_name="",
            region=None,
            cloud_service=first.cloud_service,
            availability_set=web_set,
        ),
    )

    assert all(isinstance(result, Operation) for result in results), results
    slots = list(Membership.objects.filter(availability_set=web_set).values_list("fault_domain", "update_domain"))
    assert len(slots) == 5
    assert len(set(slots)) == 5
    assert is_balanced([Slot(*slot) for slot in slots], fault_domain_count=2, update_domain_count=5)


def test_existing_vms_joining_one_set_at_once_take_distinct_slots():
    service = factories.CloudServiceFactory()
    account = factories.StorageAccountFactory(subscription=service.subscription)
    web_set = factories.AvailabilitySetFactory(cloud_service=service)
    vms = factories.VirtualMachineFactory.create_batch(
        4, cloud_service=service, storage_account=account, password_hash="x"
    )

    def join(index: int) -> Membership:
        with transaction.atomic():
            return availability_set_join(vm=vms[index], availability_set=web_set)

    results = at_once(4, join)

    assert all(isinstance(result, Membership) for result in results), results
    slots = [(membership.fault_domain, membership.update_domain) for membership in results]
    assert len(set(slots)) == 4


def slowed(monkeypatch, module, name: str) -> None:
    """Widen the window after a check a service calls and before the write it guards, as a busy database would."""
    check = getattr(module, name)

    def slow_check(*args, **kwargs):
        result = check(*args, **kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(module, name, slow_check)


def test_four_deploys_at_once_with_one_core_left_make_exactly_one_vm(monkeypatch):
    """The subscription's row lock makes quota checks take turns; without it all four read one core free."""
    person = factories.UserFactory()
    subscription = factories.SubscriptionFactory(members=[person], core_quota=2)
    existing = factories.VirtualMachineFactory(cloud_service__subscription=subscription, password_hash="!")
    assert existing.size.cores == 1
    slowed(monkeypatch, machines, "subscription_cores_check")

    results = at_once(
        4,
        lambda index: factories.deploy(
            person,
            subscription,
            name=f"web{index}",
            dns_name=f"contosoweb{index}",
            storage_account=existing.storage_account,
        ),
    )

    operations = [result for result in results if isinstance(result, Operation)]
    refusals = [result for result in results if isinstance(result, ValidationError)]
    assert len(operations) == 1, results
    assert len(refusals) == 3, results
    assert all([error.code for error in refusal.error_dict["size"]] == ["core_quota"] for refusal in refusals)
    assert VirtualMachine.objects.filter(cloud_service__subscription=subscription).count() == 2
    assert CloudService.objects.filter(subscription=subscription).count() == 2


def test_four_first_deploys_in_one_region_at_once_share_one_generated_storage_account(monkeypatch):
    """The first deploys in a region take turns making its generated account; none fails on the unique constraint."""
    person = factories.UserFactory()
    subscription = factories.SubscriptionFactory(members=[person])
    slowed(monkeypatch, storage, "storage_account_quota_check")

    results = at_once(
        4,
        lambda index: factories.deploy(person, subscription, name=f"web{index}", dns_name=f"contosoweb{index}"),
    )

    assert all(isinstance(result, Operation) for result in results), results
    generated = StorageAccount.objects.get(subscription=subscription, automatically_generated=True)
    assert StorageAccount.objects.count() == 1
    assert set(VirtualMachine.objects.values_list("storage_account", flat=True)) == {generated.pk}
    assert VirtualMachine.objects.count() == 4
