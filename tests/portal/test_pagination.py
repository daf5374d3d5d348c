"""Keyset pagination: walking forward from the first page or back from the last visits every row once, in order."""

from __future__ import annotations

import random
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import RequestFactory
from django.utils import timezone

from portal.pagination import keyset_paginate
from tests import factories
from vms.models import Operation, VirtualMachine

pytestmark = pytest.mark.django_db


def page(queryset, url: str, **options):
    query = {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
    return keyset_paginate(RequestFactory().get("/list/", query), queryset, **options)


def walk_forward(queryset, **options) -> list[list[int]]:
    pages, url = [], "/list/"
    while url:
        listing = page(queryset, url, **options)
        pages.append([row.pk for row in listing])
        url = listing.next_url
    return pages


def walk_backward(queryset, **options) -> list[list[int]]:
    pages, url = [], "/list/?last=1"
    while url:
        listing = page(queryset, url, **options)
        pages.append([row.pk for row in listing])
        url = listing.previous_url
    return pages[::-1]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("page_size", [1, 3, 7])
def test_names_with_ties_are_walked_in_name_then_pk_order_both_ways(seed, page_size):
    generator = random.Random(seed)
    subscription = factories.SubscriptionFactory()
    for _ in range(generator.randint(0, 17)):
        # Names repeat (each VM in a cloud service of its own), so (name, pk) decides the order.
        factories.VirtualMachineFactory(
            name=f"vm{generator.randint(0, 5)}", cloud_service__subscription=subscription, password_hash="x"
        )
    queryset = VirtualMachine.objects.filter(subscription=subscription)
    expected = [vm.pk for vm in sorted(queryset, key=lambda vm: (vm.name, vm.pk))]

    forward = walk_forward(queryset, key="name", page_size=page_size)
    assert [pk for rows in forward for pk in rows] == expected
    assert all(len(rows) == page_size for rows in forward[:-1])
    backward = walk_backward(queryset, key="name", page_size=page_size)
    assert [pk for rows in backward for pk in rows] == expected
    assert all(len(rows) == page_size for rows in backward[1:])


@pytest.mark.parametrize("page_size", [2, 5])
def test_newest_first_with_equal_start_times_is_walked_without_gaps_or_repeats(page_size):
    vm = factories.VirtualMachineFactory(password_hash="x")
    now = timezone.now()
    operations = factories.OperationFactory.create_batch(11, virtual_machine=vm, status=Operation.Status.SUCCEEDED)
    for index, operation in enumerate(operations):
        Operation.objects.filter(pk=operation.pk).update(started_at=now - timedelta(seconds=index // 3))
    queryset = Operation.objects.all()
    expected = [o.pk for o in sorted(queryset, key=lambda o: (o.started_at, o.pk), reverse=True)]

    forward = walk_forward(queryset, key="started_at", descending=True, page_size=page_size)
    assert [pk for rows in forward for pk in rows] == expected
    backward = walk_backward(queryset, key="started_at", descending=True, page_size=page_size)
    assert [pk for rows in backward for pk in rows] == expected


def test_previous_from_a_middle_page_returns_the_page_before_it():
    vm_service = factories.CloudServiceFactory()
    for name in "abcdefg":
        factories.VirtualMachineFactory(name=name, cloud_service=vm_service, password_hash="x")
    queryset = VirtualMachine.objects.all()
    first = page(queryset, "/list/", key="name", page_size=3)
    second = page(queryset, first.next_url, key="name", page_size=3)
    assert [vm.name for vm in second] == ["d", "e", "f"]
    back = page(queryset, second.previous_url, key="name", page_size=3)
    assert [vm.name for vm in back] == ["a", "b", "c"]
    assert back.first_url == "" and back.previous_url == ""
    assert back.next_url and back.last_url == "/list/?last=1"


@pytest.mark.parametrize("cursor", ["after=%%%", "after=bm90IGpzb24", "before=WzEsMiwzXQ", "after="])
def test_a_malformed_cursor_shows_the_first_page(cursor):
    factories.VirtualMachineFactory(name="a", password_hash="x")
    listing = page(VirtualMachine.objects.all(), f"/list/?{cursor}", key="name", page_size=3)
    assert [vm.name for vm in listing] == ["a"]


def test_links_keep_the_rest_of_the_query_string():
    service = factories.CloudServiceFactory()
    for name in "abc":
        factories.VirtualMachineFactory(name=name, cloud_service=service, password_hash="x")
    listing = page(VirtualMachine.objects.all(), "/list/?q=x", key="name", page_size=1)
    assert listing.next_url.startswith("/list/?q=x&after=")
    assert listing.last_url == "/list/?q=x&last=1"
