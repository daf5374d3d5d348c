"""axe-core run in the browser's page: the accessibility checks several browser tests make."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

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
