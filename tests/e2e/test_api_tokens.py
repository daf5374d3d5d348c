"""A person makes an API token in the browser, a script uses it, the person revokes it; the API docs page works."""

from __future__ import annotations

import re

from django.utils.csp import build_policy
from playwright.sync_api import Page, Route, expect

from api.v1.api import DOCS_POLICY


def test_make_use_and_revoke_a_token(signed_in_page: Page, subscription):
    page = signed_in_page
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings").get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    page.get_by_label("Name").fill("deploy script")
    page.get_by_label("Expires after").select_option(label="30 days")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("Secret").input_value()
    assert re.fullmatch(r"cpt_[0-9a-f]{12}_[A-Za-z0-9_-]{40,}", secret)

    bearer = {"Authorization": f"Bearer {secret}"}
    response = page.request.get("/api/v1/virtual-machines", headers=bearer)
    assert response.status == 200 and response.json()["items"] == []
    # The page's own session cookie, sent by the same browser context, opens nothing.
    assert page.request.get("/api/v1/virtual-machines").status == 401

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke deploy script").click()
    expect(page.get_by_text("Token deploy script was revoked.")).to_be_visible()
    expect(page.get_by_role("cell", name="Revoked")).to_be_visible()
    assert page.request.get("/api/v1/virtual-machines", headers=bearer).status == 401


def test_the_api_docs_work_under_their_content_security_policy(page: Page):
    """Serve the docs page with its policy enforced by the browser: Swagger UI draws and opens operations unblocked."""
    page.add_init_script(
        "window.violations = [];"
        "document.addEventListener('securitypolicyviolation', e => window.violations.push(e.violatedDirective));"
    )

    def with_policy(route: Route) -> None:
        response = route.fetch()
        headers = {**response.headers, "content-security-policy": build_policy(DOCS_POLICY)}
        route.fulfill(response=response, headers=headers)

    page.route("**/api/v1/docs", with_policy)
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name=re.compile("Classic Portal API"))).to_be_visible()
    page.get_by_text("/api/v1/virtual-machines/{vm_id}/configure").click()
    page.get_by_role("button", name="Try it out").click()
    expect(page.get_by_role("button", name="Execute")).to_be_visible()
    assert page.evaluate("window.violations") == []
