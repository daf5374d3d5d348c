"""The JSON API as a script calls it: a bearer token, and a client that sends it with JSON bodies."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from credentials.services import api_token_create


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
    """Return the raw text of a new API token for user in subscription, good for 30 days unless overridden."""
    arguments = {"name": "script", "expires_at": timezone.now() + timedelta(days=30)}
    return api_token_create(user=user, subscription=subscription, **(arguments | overrides))[1]
