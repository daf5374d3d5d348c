"""Under the Content-Security-Policy, Chromium blocks nothing on the portal's pages, and htmx still swaps."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.factories import (
    STRONG_PASSWORD,
    AffinityGroupFactory,
    MembershipFactory,
    StorageAccountFactory,
    SubscriptionFactory,
    VirtualNetworkFactory,
)

WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const blocked = event.blockedURI || "inline";
  window.__violations.push(`${event.violatedDirective} blocked ${blocked} at ${location.pathname}`);
});
"""


class Violations:
    """What the browser refused on a page: its securitypolicyviolation events and its console's CSP errors."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on("console", self.on_console)

    def on_console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.console.append(message.text)

    def assert_none(self) -> None:
        """Fail with what was blocked on the page shown now, or anywhere before it."""
        events = self.page.evaluate("window.__violations || []")
        assert events == [], events
        assert self.console == [], self.console


@pytest.fixture
def violations(page: Page) -> Violations:
    return Violations(page)


@pytest.fixture
def portal_page(page: Page, violations: Violations, user, subscription) -> Page:
    """Sign in through the form, with the watch on from the first page."""
    page.goto("/signin/")
    violations.assert_none()
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Services")).to_be_visible()
    return page


def test_main_pages_load_without_a_blocked_script_or_style(portal_page: Page, violations: Violations, subscription):
    page = portal_page
    membership = MembershipFactory(availability_set__cloud_service__subscription=subscription)
    StorageAccountFactory(subscription=subscription)
    VirtualNetworkFactory(subscription=subscription, affinity_group=AffinityGroupFactory(subscription=subscription))
    vm = membership.virtual_machine
    for path, heading in [
        ("/virtual-machines/", "virtual machines"),
        ("/cloud-services/", "cloud services"),
        ("/storage/", "storage"),
        ("/networks/", "networks"),
        ("/activity/", "activity"),
        (f"/virtual-machines/{vm.pk}/", vm.name),
        (f"/virtual-machines/{vm.pk}/configure/", vm.name),
        (f"/cloud-services/{vm.cloud_service_id}/availability-sets/", "availability sets"),
        (f"/availability-sets/{membership.availability_set_id}/", membership.availability_set.name),
        ("/virtual-machines/new/dns-name/?dns_name=contosoweb", "dns name"),
        ("/virtual-machines/new/", "virtual machine operating system"),
    ]:
        page.goto(path)
        expect(page.get_by_role("heading").first).to_contain_text(re.compile(heading, re.IGNORECASE))
        violations.assert_none()


def test_the_wizard_opens_walks_and_closes_under_the_policy(portal_page: Page, violations: Violations):
    page = portal_page
    # New -> Virtual Machine -> From Gallery: htmx swaps the wizard into a modal dialog.
    page.get_by_role("contentinfo", name="Command bar").get_by_role("button", name="New", exact=True).click()
    drawer = page.get_by_role("region", name="New")
    drawer.get_by_role("button", name="Virtual Machine").click()
    drawer.get_by_role("link", name="From Gallery").click()
    dialog = page.get_by_role("dialog", name="Select the virtual machine operating system")
    expect(dialog).to_be_visible()
    page.get_by_role("radio", name="Windows Server 2012 Datacenter").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Virtual machine configuration")).to_be_visible()
    page.get_by_label("Virtual Machine Name").fill("web1")
    page.get_by_label("New User Name").fill("contosoadmin")
    page.get_by_label("New Password").fill(STRONG_PASSWORD)
    page.get_by_label("Confirm Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Virtual machine mode")).to_be_visible()
    # The DNS name check answers as the name is typed: an htmx request and swap.
    page.get_by_label("DNS Name").press_sequentially("contosoweb")
    expect(page.get_by_text("contosoweb.cloudapp.net is available")).to_be_visible()
    violations.assert_none()
    # Escape asks before discarding a draft with entries, then discards it and closes the dialog (portal.js).
    page.once("dialog", lambda question: question.accept())
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.locator("#dialog-root")).to_be_empty()
    violations.assert_none()


def test_confirmations_and_the_subscription_choice_work_without_inline_handlers(
    portal_page: Page, violations: Violations, user, subscription
):
    page = portal_page
    membership = MembershipFactory(availability_set__cloud_service__subscription=subscription)
    other = SubscriptionFactory(name="Visual Studio Ultimate", members=[user])
    vm = membership.virtual_machine
    page.goto(f"/virtual-machines/{vm.pk}/")
    # Delete asks first, in a dialog htmx loads; No closes it without a request.
    page.get_by_role("button", name="Delete").click()
    confirm = page.get_by_role("dialog", name=re.compile(f"Delete virtual machine {vm.name}", re.IGNORECASE))
    expect(confirm).to_be_visible()
    confirm.get_by_role("link", name="No").click()
    expect(confirm).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_contain_text(vm.name)
    # Choosing another subscription switches to it at once.
    page.get_by_role("navigation", name="Services").get_by_role("link", name="Virtual Machines").click()
    expect(page.get_by_role("link", name=vm.name, exact=True)).to_be_visible()
    page.get_by_label("Subscription").select_option(label=other.name)
    expect(page.get_by_label("Subscription")).to_have_value(str(other.pk))
    expect(page.get_by_role("link", name=vm.name, exact=True)).to_have_count(0)
    violations.assert_none()


def test_the_admin_loads_under_the_policy(page: Page, violations: Violations, django_user_model):
    django_user_model.objects.create_superuser("staff", "staff@example.com", STRONG_PASSWORD)
    page.goto("/admin/login/")
    page.get_by_label("Username").fill("staff")
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    violations.assert_none()
    page.goto("/admin/axes/accessattempt/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    violations.assert_none()
