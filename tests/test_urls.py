"""Every page of the portal and the admin asks an anonymous visitor to sign in first."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

OPEN_TO_ANONYMOUS = {"login", "admin:login"}
# The JSON API's document and docs are public; its routes answer 401 in JSON rather than redirect to a sign-in page.
API_PUBLIC = {"api-1:openapi-json", "api-1:openapi-view"}
# Scripts' APIs refuse an anonymous caller with an error of their own, never a redirect to a sign-in page.
SCRIPT_APIS = ("classic:",)


def named_patterns(resolver: URLResolver, namespace: str = "") -> list[tuple[str, URLPattern]]:
    """Walk the URL configuration and return every named pattern with its full name."""
    found = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            found.extend(named_patterns(pattern, inner))
        elif pattern.name:
            found.append((f"{namespace}{pattern.name}", pattern))
    return found


def sample_url(name: str, pattern: URLPattern) -> str:
    """Reverse a pattern with 1 for every int argument and a plain word for every other one."""
    converters = getattr(pattern.pattern, "converters", {})
    groups = pattern.pattern.regex.groupindex
    kwargs = {
        key: 1 if type(converters.get(key)).__name__ == "IntConverter" else ("vms" if key == "app_label" else "word")
        for key in groups
    }
    return reverse(name, kwargs=kwargs)


PATTERNS = named_patterns(get_resolver())


def test_the_sweep_finds_the_portal_and_the_admin():
    names = {name for name, _ in PATTERNS}
    assert {"vms:list", "vms:dashboard", "vms:wizard-step", "availability:detail", "admin:index"} <= names
    assert len(names) > 40


@pytest.mark.parametrize(("name", "pattern"), PATTERNS, ids=[name for name, _ in PATTERNS])
def test_anonymous_request_is_sent_to_sign_in(name, pattern, client):
    url = sample_url(name, pattern)
    response = client.get(url)
    if name in OPEN_TO_ANONYMOUS | API_PUBLIC:
        assert response.status_code == 200
        return
    if name.startswith("api-1:") or name == "api-unknown-path":
        assert response.status_code in {401, 404, 405}, url
        assert response["Content-Type"].startswith("application/json"), url
        return
    if name.startswith(SCRIPT_APIS):
        assert response.status_code in {403, 404}, url
        assert not response.has_header("Location"), url
        return
    assert response.status_code == 302, url
    location = urlsplit(response["Location"])
    sign_in = {reverse("login"), reverse("admin:login")} if name.startswith("admin:") else {reverse("login")}
    assert location.path in sign_in, url
    assert "next=" in location.query


def test_sign_in_page_is_open(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
