"""Fixtures for the classic SDK: a token for the signed-in person's subscription, and the SDK sending with it."""

from __future__ import annotations

import pytest
from azure.servicemanagement import ServiceManagementService

from tests.helpers.classic import DjangoTestClientAdapter, make_sdk, make_token


@pytest.fixture(autouse=True)
def generous_rate_limit(settings):
    """Keep the rate limit out of the way except where a test sets it."""
    settings.API_RATE_LIMIT = 100_000


@pytest.fixture
def token(user, subscription) -> str:
    return make_token(user, subscription)


@pytest.fixture
def sdk(client, token, subscription) -> ServiceManagementService:
    """The classic SDK acting in the signed-in person's subscription with a personal API token."""
    sms, _ = make_sdk(client, token, str(subscription.subscription_id))
    return sms


@pytest.fixture
def sent(client, token, subscription) -> tuple[ServiceManagementService, DjangoTestClientAdapter]:
    """The SDK with the transport it sends through, to look at what it sent."""
    return make_sdk(client, token, str(subscription.subscription_id))
