"""Fixtures for the JSON API: a token for the signed-in person's subscription, and a client that sends it."""

from __future__ import annotations

import pytest

from tests.factories import SubscriptionFactory, UserFactory
from tests.helpers.api import ApiClient, make_raw_token


@pytest.fixture(autouse=True)
def generous_rate_limit(settings):
    """Keep the rate limit out of the way except where a test sets it."""
    settings.API_RATE_LIMIT = 100_000


@pytest.fixture
def raw_token(user, subscription) -> str:
    return make_raw_token(user, subscription)


@pytest.fixture
def api(raw_token, django_capture_on_commit_callbacks) -> ApiClient:
    """A client for the person's token; operations finish as soon as the request commits."""
    return ApiClient(raw_token, django_capture_on_commit_callbacks)


@pytest.fixture
def stranger(db):
    """Someone else, with a subscription of their own."""
    person = UserFactory()
    return person, SubscriptionFactory(members=[person])
