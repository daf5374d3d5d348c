"""What a person sees on a VM's dashboard: the creating banner, disabled commands, the notification panel beside it."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests import factories
from tests.factories import STRONG_PASSWORD
from vms.models import Image, VirtualMachine


@pytest.mark.usefixtures("worker")
def test_the_creating_banner_leaves_once_the_vm_is_running(signed_in_page: Page, settings):
    settings.FABRIC_OPERATION_SECONDS = 4
    page = signed_in_page
    page.get_by_role("contentinfo", name="Command bar").get_by_role("button", name="New", exact=True).click()
    drawer = page.get_by_role("region", name="New")
    drawer.get_by_role("button", name="Virtual Machine").click()
    drawer.get_by_role("link", name="Quick Create").click()
    dialog = page.get_by_role("dialog", name="Quick Create")
    dialog.get_by_label("DNS Name").fill("quickweb")
    dialog.get_by_label("Image").select_option(label=Image.objects.filter(os_family="windows").first().name)
    dialog.get_by_label("New Password").fill(STRONG_PASSWORD)
    dialog.get_by_label("Confirm").fill(STRONG_PASSWORD)
    dialog.get_by_label("Region/Affinity Group/Virtual Network").select_option(label="West US")
    dialog.get_by_role("button", name="Create virtual machine").click()

    expect(page.get_by_role("heading", name="quickweb", exact=True)).to_be_visible()
    banner = page.get_by_role("main").get_by_text("Creating virtual machine quickweb.")
    expect(banner).to_be_visible()
    expect(page.locator("#vm-status")).to_contain_text("Running", timeout=30_000)
    expect(banner).to_have_count(0)


def test_a_disabled_command_looks_disabled(signed_in_page: Page, subscription):
    vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription, name="web1")
    page = signed_in_page
    page.goto(f"/virtual-machines/{vm.pk}/")
    bar = page.get_by_role("contentinfo", name="Command bar")
    start, restart = bar.get_by_role("button", name="Start", exact=True), bar.get_by_role("button", name="Restart")
    expect(start).to_be_disabled()
    expect(restart).to_be_enabled()

    style = "element => [getComputedStyle(element).opacity, getComputedStyle(element).cursor]"
    opacity, cursor = start.evaluate(style)
    assert float(opacity) <= 0.5 and cursor == "not-allowed"
    opacity, cursor = restart.evaluate(style)
    assert float(opacity) == 1 and cursor == "pointer"


def test_the_open_notification_panel_does_not_cover_the_activity_table(page: Page, user, subscription):
    page.set_viewport_size({"width": 1440, "height": 900})
    vm = factories.VirtualMachineFactory(
        cloud_service__subscription=subscription, name="web1", status=VirtualMachine.Status.RUNNING
    )
    for _ in range(6):
        factories.OperationFactory(virtual_machine=vm, status="succeeded", ended_at=timezone.now())
    page.goto("/signin/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/virtual-machines/{vm.pk}/")
    toggle = page.get_by_role("contentinfo", name="Command bar").get_by_role(
        "button", name=re.compile("^Notifications")
    )
    toggle.click()
    panel = page.locator("#notifications-panel")
    expect(panel.get_by_text("Restarting virtual machine web1").first).to_be_visible()
    activity = page.get_by_role("region", name="Activity").get_by_role("table")
    expect(activity).to_be_visible()

    table, box = activity.bounding_box(), panel.bounding_box()
    overlap_x = min(table["x"] + table["width"], box["x"] + box["width"]) - max(table["x"], box["x"])
    overlap_y = min(table["y"] + table["height"], box["y"] + box["height"]) - max(table["y"], box["y"])
    assert overlap_x <= 0 or overlap_y <= 0, (table, box)
