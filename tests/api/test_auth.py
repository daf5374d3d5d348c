"""Who may call the API: bearer tokens only, never a session; no CSRF; a per-token rate limit shared by processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from credentials.models import ApiRequestCount, ApiToken
from credentials.ratelimit import (
    rate_counts_prune,
    rate_limit_hit,
    seconds_until_next_window,
    token_credential,
    window_of,
)
from credentials.services import api_token_revoke
from tests.factories import STRONG_PASSWORD, image_version
from tests.helpers.api import ApiClient, make_raw_token

pytestmark = pytest.mark.django_db


def test_no_token_is_401_in_the_error_shape(client):
    response = client.get("/api/v1/virtual-machines")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["code"] == "unauthorized" and body["fields"] == {} and "Bearer" in body["message"]


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer cpt_000000000000_abc", "Basic dXNlcjpwYXNz", "Token x"])
def test_a_wrong_token_is_401(client, header):
    assert client.get("/api/v1/regions", headers={"Authorization": header}).status_code == 401


def test_a_signed_in_session_does_not_authenticate_api_calls(signed_in):
    assert signed_in.get("/api/v1/virtual-machines").status_code == 401
    response = signed_in.post("/api/v1/affinity-groups", {"name": "g", "region": "West US"}, "application/json")
    assert response.status_code == 401


def test_a_token_needs_no_csrf_token(api, subscription):
    """The client enforces CSRF checks as a browser would; a bearer-token POST passes without a CSRF token."""
    response = api.post("affinity-groups", {"name": "group1", "region": "West US"})
    assert response.status_code == 201
    assert subscription.affinity_groups.get().name == "group1"


def test_revoked_expired_and_departed_tokens_stop_working_at_once(user, subscription):
    raw = make_raw_token(user, subscription)
    api = ApiClient(raw)
    assert api.get("regions").status_code == 200
    token = ApiToken.objects.get()
    api_token_revoke(token=token, user=user)
    assert api.get("regions").status_code == 401

    api = ApiClient(make_raw_token(user, subscription))
    ApiToken.objects.filter(revoked_at=None).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert api.get("regions").status_code == 401

    api = ApiClient(make_raw_token(user, subscription))
    subscription.members.remove(user)
    assert api.get("regions").status_code == 401


def test_the_token_acts_as_its_user(api, user, subscription, django_capture_on_commit_callbacks):
    response = api.post(
        "virtual-machines",
        {
            "image": image_version().image_id,
            "name": "web1",
            "admin_username": "portaladmin",
            "admin_password": STRONG_PASSWORD,
            "size": "Small",
            "dns_name": "contosoweb",
            "region": "West US",
        },
    )
    assert response.status_code == 202
    operation = subscription.operations.get()
    assert operation.requested_by == user
    assert operation.virtual_machine.created_by == user


class TestRateLimit:
    def test_over_the_limit_is_429_with_retry_after(self, settings, api):
        settings.API_RATE_LIMIT = 3
        settings.API_RATE_WINDOW_SECONDS = 60
        assert [api.get("regions").status_code for _ in range(3)] == [200, 200, 200]
        response = api.get("regions")
        assert response.status_code == 429
        assert 1 <= int(response["Retry-After"]) <= 60
        assert response.json()["code"] == "rate_limited"
        assert response["Retry-After"] in response.json()["message"]

    def test_each_token_has_its_own_count(self, settings, user, subscription):
        settings.API_RATE_LIMIT = 1
        first, second = ApiClient(make_raw_token(user, subscription)), ApiClient(make_raw_token(user, subscription))
        assert first.get("regions").status_code == 200
        assert first.get("regions").status_code == 429
        assert second.get("regions").status_code == 200

    def test_the_count_lives_in_the_database_so_every_process_shares_it(self, settings, user, subscription):
        """A request counted by another web process (a row written directly) counts against this one too."""
        settings.API_RATE_LIMIT = 5
        raw = make_raw_token(user, subscription)
        token = ApiToken.objects.get()
        ApiRequestCount.objects.create(
            credential=token_credential(token), window=window_of(timezone.now(), 60), count=5
        )
        assert ApiClient(raw).get("regions").status_code == 429

    def test_a_new_window_starts_a_new_count(self, settings, user, subscription):
        settings.API_RATE_LIMIT = 2
        make_raw_token(user, subscription)
        token = ApiToken.objects.get()
        start = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
        credential = token_credential(token)
        assert [rate_limit_hit(credential, now=start + timedelta(seconds=s)) for s in (0, 10, 20)] == [None, None, 40]
        assert rate_limit_hit(credential, now=start + timedelta(seconds=60)) is None

    def test_zero_turns_the_limit_off(self, settings, api):
        settings.API_RATE_LIMIT = 0
        assert all(api.get("regions").status_code == 200 for _ in range(5))
        assert not ApiRequestCount.objects.exists()

    def test_retry_after_is_whole_seconds_to_the_next_window(self):
        moment = datetime(2026, 1, 1, 12, 0, 59, 500000, tzinfo=UTC)
        assert seconds_until_next_window(moment, 60) == 1
        assert seconds_until_next_window(moment.replace(second=0, microsecond=0), 60) == 60

    def test_ended_windows_are_pruned(self, settings, user, subscription):
        make_raw_token(user, subscription)
        token = ApiToken.objects.get()
        now = timezone.now()
        current = window_of(now, settings.API_RATE_WINDOW_SECONDS)
        for window in (current - 5, current - 1, current):
            ApiRequestCount.objects.create(credential=token_credential(token), window=window, count=1)
        assert rate_counts_prune(now=now) == 1
        assert sorted(ApiRequestCount.objects.values_list("window", flat=True)) == [current - 1, current]


def test_api_docs_are_served_from_our_own_static_files_with_a_policy_of_their_own(client, settings):
    settings.SECURE_CSP = {"default-src": ["'self'"]}
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.csp.ContentSecurityPolicyMiddleware"]
    response = Client().get("/api/v1/docs")
    html = response.content.decode()
    assert response.status_code == 200
    assert "/static/ninja/swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert "img-src 'self' data:" in response["Content-Security-Policy"]
    assert "unsafe" not in response["Content-Security-Policy"]
    other = Client().get("/signin/")
    assert other["Content-Security-Policy"] == "default-src 'self'"


def test_the_openapi_document_is_public_and_describes_bearer_tokens(client):
    document = client.get("/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.")
    schemes = document["components"]["securitySchemes"]
    assert [scheme["scheme"] for scheme in schemes.values()] == ["bearer"]


@pytest.mark.parametrize("path", ["regions", "virtual-machines", "virtual-machines/99999999", "no/such/path"])
def test_no_answer_is_kept_by_a_cache(api, client, path):
    """The subscription's current state, its errors, and a refusal without a token alike: never stored."""
    assert api.get(path)["Cache-Control"] == "no-store"
    assert client.get(f"/api/v1/{path}")["Cache-Control"] == "no-store"
    assert api.request("put", "regions")["Cache-Control"] == "no-store"
