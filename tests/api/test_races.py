"""Requests at the same moment (PostgreSQL): one VM per Idempotency-Key, and a rate limit that counts every request."""

from __future__ import annotations

import pytest

from credentials.models import ApiRequestCount
from tests import factories
from tests.factories import STRONG_PASSWORD, image_version
from tests.helpers.api import ApiClient, make_raw_token
from tests.helpers.races import at_once
from vms.models import VirtualMachine

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_the_same_key_sent_at_once_makes_one_vm_and_both_get_its_answer():
    person = factories.UserFactory()
    raw = make_raw_token(person, factories.SubscriptionFactory(members=[person]))
    body = {
        "image": image_version().image_id,
        "name": "web1",
        "admin_username": "portaladmin",
        "admin_password": STRONG_PASSWORD,
        "size": "Small",
        "dns_name": "contosoweb",
        "region": "West US",
    }

    responses = at_once(
        3, lambda index: ApiClient(raw).post("virtual-machines", body, headers={"Idempotency-Key": "same"})
    )

    assert [response.status_code for response in responses] == [202, 202, 202], responses
    first = responses[0].json()
    assert all(response.json() == first for response in responses)
    assert VirtualMachine.objects.count() == 1


def test_requests_at_once_are_each_counted(settings):
    settings.API_RATE_LIMIT = 4
    person = factories.UserFactory()
    raw = make_raw_token(person, factories.SubscriptionFactory(members=[person]))

    responses = at_once(6, lambda index: ApiClient(raw).get("regions"))

    assert sorted(response.status_code for response in responses) == [200, 200, 200, 200, 429, 429]
    assert ApiRequestCount.objects.get().count == 6
