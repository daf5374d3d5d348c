"""The notification bar: a count in the command bar, a panel on click, dismissal, collapse and announcements."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.factories import STRONG_PASSWORD
from vms.models import VirtualMachine

pytestmark = pytest.mark.usefixtures("worker")


def test_an_operation_is_counted_announced_collapsed_and_dismissed(signed_in_page: Page, subscription):
    page = signed_in_page
    vm = factories.VirtualMachineFactory(
        cloud_service__subscription=subscription, name="Web7", status=VirtualMachine.Status.RUNNING
    )
    page.goto(f"/virtual-machines/{vm.pk}/")
    bar = page.get_by_role("contentinfo", name="Command bar")
    toggle = bar.get_by_role("button", name=re.compile("^Notifications"))
    expect(page.locator("#notification-count")).to_be_hidden()

    bar.get_by_role("button", name="Restart").click()
    expect(page.locator("#notification-count")).to_have_text(re.compile(r"^\s*1\s"))
    # Nothing covers the page until the count is clicked.
    expect(page.locator("#notifications-panel")).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    panel = page.locator("#notifications-panel")
    item = panel.get_by_role("listitem").filter(has_text="Restarting virtual machine Web7")
    expect(item).to_be_visible()

    # Once finished it is announced in the live region, then collapses to its title by itself.
    expect(page.locator("#notification-live")).to_have_text(
        re.compile("Restarting virtual machine Web7: Succeeded"), timeout=20_000
    )
    expect(item.locator(".portal-notification-detail")).to_be_hidden(timeout=10_000)
    expect(item.locator(".portal-notification-title")).to_be_visible()

    item.get_by_role("button", name="Dismiss Restarting virtual machine Web7").click()
    expect(item).to_have_count(0)
    expect(page.locator("#notification-count")).to_be_hidden()
    page.reload()
    toggle.click()
    expect(panel.get_by_text("Restarting virtual machine Web7")).to_have_count(0)
    page.goto("/activity/")
    expect(page.get_by_role("main").get_by_text("Restarting virtual machine Web7")).to_be_visible()


def test_the_notifications_page_shows_its_list_once_and_the_bar_links_to_it(signed_in_page: Page, subscription):
    page = signed_in_page
    factories.OperationFactory(virtual_machine__cloud_service__subscription=subscription, title="Starting vm Web8")
    page.goto("/notifications/")
    expect(page.get_by_text("Starting vm Web8")).to_have_count(1)
    expect(page.locator("#notifications-panel")).to_have_count(0)
    expect(
        page.get_by_role("contentinfo", name="Command bar").get_by_role("link", name=re.compile("Notifications"))
    ).to_have_attribute("aria-current", "page")


def test_times_show_in_one_format_in_the_persons_time_zone(browser, live_server, user, subscription):
    """The activity log and the VM's dashboard show the same moment the same way, in the browser's time zone."""
    operation = factories.OperationFactory(
        virtual_machine__cloud_service__subscription=subscription, status="succeeded"
    )
    started = datetime(2026, 3, 1, 23, 30, 5, tzinfo=UTC)
    type(operation).objects.filter(pk=operation.pk).update(started_at=started, ended_at=started)
    context = browser.new_context(base_url=live_server.url, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto("/signin/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for url in ("/activity/", f"/virtual-machines/{operation.virtual_machine_id}/"):
        page.goto(url)
        moment = page.get_by_role("main").locator('time[datetime^="2026-03-01T23:30:05"]').first
        expect(moment).to_have_text("2026-03-02 08:30:05")
    context.close()
