"""The seed's four steps, clicked through in Chromium as a person does them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from availability.models import Membership
from tests.helpers.browser_wizard import fill_gallery_and_configuration, open_from_gallery

pytestmark = pytest.mark.usefixtures("worker")


def create_and_wait_until_running(page: Page, name: str) -> None:
    page.get_by_role("button", name="Create virtual machine").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    expect(page.get_by_text("Running", exact=True).first).to_be_visible(timeout=20_000)


def test_steps_1_and_2_create_two_vms_in_one_set_across_domains(signed_in_page: Page):
    page = signed_in_page

    # Step 1: a stand-alone VM with a new cloud service and a new availability set.
    open_from_gallery(page)
    fill_gallery_and_configuration(page, image="Windows Server 2012 Datacenter", name="iis1")
    page.get_by_role("radio", name="Stand-alone virtual machine").check()
    page.get_by_label("DNS Name").fill("contosoweb")
    expect(page.get_by_text("contosoweb.cloudapp.net is available")).to_be_visible()
    page.get_by_label("Region/Affinity Group/Virtual Network").select_option(label="West US")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Virtual machine options")).to_be_visible()
    page.get_by_label("Availability Set", exact=True).select_option(label="Create availability set")
    page.get_by_label("Availability Set Name").fill("webset")
    create_and_wait_until_running(page, "iis1")

    # Step 2: a second VM connected to the first one's cloud service and put into the same set.
    open_from_gallery(page)
    fill_gallery_and_configuration(page, image="Windows Server 2012 Datacenter", name="iis2")
    page.get_by_role("radio", name="Connect to existing Virtual Machine").check()
    page.get_by_label("Cloud Service").fill("contosoweb")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Availability Set", exact=True).select_option(label="webset")
    create_and_wait_until_running(page, "iis2")

    # The VM list shows both, running, in the set.
    page.get_by_role("navigation", name="Services").get_by_role("link", name="Virtual Machines").click()
    for name in ("iis1", "iis2"):
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))
        expect(row).to_contain_text("Running")
        expect(row).to_contain_text("webset")
        expect(row).to_contain_text("contosoweb.cloudapp.net")

    # Each dashboard shows its own slot; together they differ in both fault and update domain.
    for name, slot in (("iis1", "fault domain 0, update domain 0"), ("iis2", "fault domain 1, update domain 1")):
        page.get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(name)
        expect(page.get_by_text(slot)).to_be_visible()
        page.go_back()

    slots = {m.virtual_machine.name: (m.fault_domain, m.update_domain) for m in Membership.objects.all()}
    assert slots == {"iis1": (0, 0), "iis2": (1, 1)}


def save_configuration(page: Page, set_choice: str, new_name: str = "") -> None:
    """Configure tab: choose the set (or create one), then Save; the VM restarts and is Running again."""
    page.get_by_role("link", name="Configure").click()
    page.get_by_label("Availability Set", exact=True).select_option(label=set_choice)
    if new_name:
        page.get_by_label("Availability Set Name").fill(new_name)
    expect(page.get_by_text("This might result in the virtual machine being restarted")).to_be_visible()
    page.get_by_role("button", name="Save").click()
    # Saving returns to the dashboard, where the restart shows.
    expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Restarting", exact=True).first).to_be_visible()
    expect(page.get_by_text("Running", exact=True).first).to_be_visible(timeout=20_000)


def test_steps_3_and_4_put_existing_vms_into_a_set(signed_in_page: Page):
    page = signed_in_page

    # A stand-alone VM, created through the wizard with no set.
    open_from_gallery(page)
    fill_gallery_and_configuration(page, image="Windows Server 2012 Datacenter", name="sql1")
    page.get_by_role("radio", name="Stand-alone virtual machine").check()
    page.get_by_label("DNS Name").fill("contosodata")
    page.get_by_label("Region/Affinity Group/Virtual Network").select_option(label="West US")
    page.get_by_role("button", name="Next").click()
    create_and_wait_until_running(page, "sql1")
    expect(page.get_by_text("can and will be rebooted").first).to_be_visible()

    # Step 3: Configure -> Create Availability Set -> Save.
    save_configuration(page, "Create Availability Set", new_name="sqlset")
    expect(page.get_by_text("fault domain 0, update domain 0")).to_be_visible()

    # Another VM of that cloud service, connected but in no set.
    open_from_gallery(page)
    fill_gallery_and_configuration(page, image="Windows Server 2012 Datacenter", name="sql2")
    page.get_by_role("radio", name="Connect to existing Virtual Machine").check()
    page.get_by_label("Cloud Service").fill("contosodata")
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Availability Set", exact=True).select_option(label="None")
    create_and_wait_until_running(page, "sql2")

    # Step 4: Configure -> select the set -> Save.
    save_configuration(page, "sqlset")

    # The set's page: both members, in different fault and update domains, eligible for the SLA.
    page.get_by_role("link", name="sqlset", exact=True).click()
    grid = page.get_by_role("table", name=re.compile("Members of sqlset"))
    expect(grid.get_by_role("row").filter(has_text="Fault domain 0")).to_contain_text("sql1")
    expect(grid.get_by_role("row").filter(has_text="Fault domain 1")).to_contain_text("sql2")
    expect(page.get_by_text("eligible for the 99.95% SLA").first).to_be_visible()
    rack_failure = page.get_by_role("row", name=re.compile("A rack failure in fault domain 0"))
    expect(rack_failure.get_by_role("cell")).to_have_text(["sql1", "sql2"])
    slots = {m.virtual_machine.name: (m.fault_domain, m.update_domain) for m in Membership.objects.all()}
    assert slots == {"sql1": (0, 0), "sql2": (1, 1)}
