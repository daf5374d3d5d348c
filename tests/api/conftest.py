"""Fixtures for the JSON API: a token for the signed-in person's subscription, and a client that sends it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from credentials.services import api_token_create
from tests.factories import SubscriptionFactory, UserFactory


class ApiClient:
    """A test client that sends a bearer token and JSON, and runs the worker's tasks when a request commits."""

    def __init__(self, raw_token: str, capture=None) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.headers = {"Authorization": f"Bearer {raw_token}"}
        self.capture = capture

    def request(self, method: str, path: str, json=None, headers=None, **query):
        headers = self.headers | (headers or {})
        call = getattr(self.client, method)
        path = path if path.startswith("/") else f"/api/v1/{path}"
        if method in {"post", "patch", "put"}:
            run = lambda: call(path, data=json or {}, content_type="application/json", headers=headers)  # noqa: E731
        else:
            run = lambda: call(path, data=query or None, headers=headers)  # noqa: E731
        if self.capture is None:
            return run()
        with self.capture(execute=True):
            return run()

    def get(self, path: str, **kwargs):
        return self.request("get", path, **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self.request("post", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("delete", path, **kwargs)


def make_raw_token(user, subscription, **overrides) -> str:
    arguments = {"name": "script", "expires_at": timezone.now() + timedelta(days=30)}
    return api_token_create(user=user, subscription=subscription, **(arguments | overrides))[1]


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
