"""Lists are paged by cursor: every row once, in a stable order, and a query count that does not grow with rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.pagination import cursor_decode, cursor_encode
from tests import factories

pytestmark = pytest.mark.django_db

LISTS = [
    "affinity-groups",
    "virtual-networks",
    "storage-accounts",
    "cloud-services",
    "virtual-machines",
    "availability-sets",
    "applications",
    "operations",
    "regions",
    "sizes",
    "images",
]


def add_rows(subscription, count: int) -> None:
    """Give the subscription `count` more of everything a list shows, VMs in sets with operations."""
    for _ in range(count):
        membership = factories.MembershipFactory(availability_set__cloud_service__subscription=subscription)
        factories.OperationFactory(virtual_machine=membership.virtual_machine, status="succeeded")
        factories.SubnetFactory(virtual_network__subscription=subscription)
        application = factories.ApplicationFactory(subscription=subscription)
        factories.RoleFactory(application=application, availability_set=membership.availability_set)


def queries(api, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, limit=100)
    assert response.status_code == 200
    return len(captured), len(response.json()["items"])


def test_the_sweep_covers_every_list_of_the_document():
    from api.v1.api import api as ninja_api

    document = ninja_api.get_openapi_schema(path_prefix="")
    lists = {path.strip("/") for path, methods in document["paths"].items() if "get" in methods and "{" not in path}
    assert lists == set(LISTS)


@pytest.mark.parametrize("path", LISTS)
def test_query_count_is_the_same_for_few_and_many_rows(api, subscription, path, settings, monkeypatch):
    # One rate window and one recorded use for the whole test, however long building the rows takes.
    settings.API_RATE_WINDOW_SECONDS = 10**9
    monkeypatch.setattr("credentials.tokens.LAST_USED_GRANULARITY", timedelta(days=1))
    add_rows(subscription, 2)
    api.get("regions")  # the token's first request of the minute also records its use and opens a rate window
    few, few_rows = queries(api, path)
    add_rows(subscription, 25)
    many, many_rows = queries(api, path)
    assert few == many, f"{path}: {few} queries for {few_rows} rows, {many} for {many_rows}"
    # An application's assessment reads its roles, their members, dependencies and load-balanced sets (sets and
    # members): five queries for the whole page.
    assert few <= (9 if path == "applications" else 5), "token, rate count (update and read), the page, one prefetch"


@pytest.mark.parametrize("path", ["virtual-machines", "operations", "availability-sets", "regions"])
def test_walking_the_cursor_gives_every_row_once(api, subscription, path):
    add_rows(subscription, 7)
    everything = [item["id"] for item in api.get(path, limit=100).json()["items"]]
    seen, cursor = [], None
    while True:
        page = api.get(path, limit=3, **({"cursor": cursor} if cursor else {})).json()
        assert len(page["items"]) <= 3
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything == sorted(everything)
    assert len(everything) >= 7


def test_rows_added_while_walking_come_on_later_pages_not_twice(api, subscription):
    add_rows(subscription, 3)
    first = api.get("virtual-machines", limit=2).json()
    add_rows(subscription, 1)
    rest = api.get("virtual-machines", limit=100, cursor=first["next_cursor"]).json()
    ids = [item["id"] for item in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 4


@pytest.mark.parametrize("cursor", ["garbage", "e30", cursor_encode(5)[:-2] + "!!", "eyJhZnRlciI6IC0xfQ"])
def test_a_cursor_the_api_did_not_make_is_400(api, cursor):
    response = api.get("virtual-machines", cursor=cursor)
    assert response.status_code == 400
    assert "cursor" in response.json()["fields"]


def test_cursor_round_trip():
    assert cursor_decode(cursor_encode(123456789)) == 123456789


@pytest.mark.parametrize("limit", [0, 101, -1])
def test_limit_is_bounded(api, limit):
    assert api.get("regions", limit=limit).status_code == 400
