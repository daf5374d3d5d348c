"""Browser tests: Playwright drives the system's Chromium against a live server with a real worker beside it."""

from __future__ import annotations

import os
import shutil

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests import factories
from tests.factories import STRONG_PASSWORD
from tests.helpers.axe import AXE
from tests.helpers.browser import WATCH_VIOLATIONS, BrowserProblems
from tests.helpers.worker import worker_thread

# Playwright's sync API runs an event loop in this thread; the ORM calls in the tests are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "allow_console_errors(*patterns): console errors a browser test expects (regular expressions searched for)",
    )


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        yield browser
        browser.close()


@pytest.fixture
def worker(settings, live_server):
    """Run the database task backend's worker in a thread, with a short simulated fabric time."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.FABRIC_OPERATION_SECONDS = 0.5
    background, thread = worker_thread("browser-tests")
    thread.start()
    yield background
    background.running = False
    thread.join(timeout=10)


@pytest.fixture
def page(request, browser, live_server):
    """A fresh browser page; the test fails if any page it visits logs an error, throws, or has something blocked."""
    marker = request.node.get_closest_marker("allow_console_errors")
    problems = BrowserProblems(list(marker.args) if marker else [])
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 900})
    context.set_default_timeout(15_000)
    context.expose_binding("__portalViolation", problems.on_violation)
    context.add_init_script(WATCH_VIOLATIONS)
    page = context.new_page()
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_page_error)
    yield page
    context.close()
    if problems.found:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems.found), pytrace=False)


@pytest.fixture
def signed_in_page(page: Page, user, subscription) -> Page:
    """A browser page signed in through the sign-in form as a person with a subscription."""
    page.goto("/signin/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Services")).to_be_visible()
    return page


@pytest.fixture
def axe_page(page: Page) -> Page:
    """A browser page with axe-core loaded into every document it opens (outside the page's own scripts)."""
    page.context.add_init_script(path=str(AXE))
    return page


@pytest.fixture
def portal_data(subscription):
    """A set with one VM, an operation that finished, a storage account, an affinity group and a network."""
    membership = factories.MembershipFactory(
        availability_set__cloud_service__subscription=subscription,
        availability_set__name="WebSet",
        virtual_machine__name="IIS1",
    )
    factories.OperationFactory(
        virtual_machine=membership.virtual_machine, status="succeeded", ended_at=membership.virtual_machine.created_at
    )
    network = factories.VirtualNetworkFactory(subscription=subscription, name="contosonet")
    factories.SubnetFactory(virtual_network=network, name="FrontEnd", address_prefix="10.0.1.0/24")
    return membership
