"""What a browser test watches for in the pages it opens: console errors, uncaught exceptions, blocked content."""

from __future__ import annotations

import re

from playwright.sync_api import ConsoleMessage, Error

# Every page reports what the Content-Security-Policy blocked to the test, from the first script it runs.
WATCH_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  window.__portalViolation(`${event.violatedDirective} blocked ${blocked} at ${location.pathname}`);
});
"""


class BrowserProblems:
    """What went wrong in the browser while a test ran: console errors, uncaught exceptions and blocked content."""

    def __init__(self, allowed: list[str]) -> None:
        self.allowed = [re.compile(pattern) for pattern in allowed]
        self.found: list[str] = []

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.add(f"console error: {message.text} ({message.location.get('url', '')})")

    def on_page_error(self, error: Error) -> None:
        self.add(f"uncaught {error.name}: {error.message}")

    def on_violation(self, source, description: str) -> None:
        self.add(f"Content-Security-Policy: {description}")

    def add(self, problem: str) -> None:
        if not any(pattern.search(problem) for pattern in self.allowed):
            self.found.append(problem)
