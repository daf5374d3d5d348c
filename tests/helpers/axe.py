"""axe-core run in the browser's page: the accessibility checks several browser tests make."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.factories import STRONG_PASSWORD

AXE = Path(__file__).parent.parent / "e2e" / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = {"critical", "serious"}


def serious_violations(page: Page, impacts: set[str] = BLOCKING) -> list[dict]:
    """Run axe-core on the page as it is now; return its violations of the given impacts, briefly."""
    page.wait_for_function("() => typeof window.axe !== 'undefined'")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
            "summary": violation["nodes"][0].get("failureSummary", "")[:300],
        }
        for violation in result["violations"]
        if violation["impact"] in impacts
    ]


def assert_accessible(page: Page, state: str, impacts: set[str] = BLOCKING) -> None:
    """Fail the test with axe-core's findings if the page as it is now (named `state`) has a violation of impacts."""
    violations = serious_violations(page, impacts)
    assert not violations, f"{state}: {json.dumps(violations, indent=1)}"


def sign_in(page: Page, user) -> None:
    """Sign in through the sign-in form as user, checking the sign-in page with axe-core on the way."""
    page.goto("/signin/")
    assert_accessible(page, "sign-in page")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Services")).to_be_visible()
