"""Deploys racing into one region never overcommit a host (PostgreSQL row locks on the region)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum

from fabric.models import Host, Placement
from tests import factories
from tests.helpers.races import at_once
from vms.models import Operation

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_people_racing_for_a_hosts_last_cores_never_overcommit_it():
    """Five people of five subscriptions (no shared subscription lock) race for a host with three free cores."""
    hosts = Host.objects.filter(rack__region__name="West US").order_by("pk")
    the_host = hosts.first()
    hosts.exclude(pk=the_host.pk).update(state=Host.State.MAINTENANCE)
    Host.objects.filter(pk=the_host.pk).update(cores=3)
    people = [factories.UserFactory() for _ in range(5)]
    subscriptions = [factories.SubscriptionFactory(members=[person]) for person in people]

    results = at_once(5, lambda index: factories.deploy(people[index], subscriptions[index], dns_name=f"race{index}"))

    operations = [result for result in results if isinstance(result, Operation)]
    refusals = [result for result in results if isinstance(result, ValidationError)]
    assert len(operations) == 3 and len(refusals) == 2, results
    for refusal in refusals:
        assert [error.code for error in refusal.error_dict["size"]] == ["no_room"]
    placed = Placement.objects.filter(host=the_host)
    assert placed.aggregate(cores=Sum("virtual_machine__size__cores"))["cores"] == 3
    assert len(set(placed.values_list("address", flat=True))) == 3
