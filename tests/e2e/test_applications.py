"""The seed's application in Chromium: IIS1 and IIS2 depend on SQL1, until SQL2 gives SQL1 its redundancy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from vms.models import VirtualMachine

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture
def seed_machines(subscription):
    """IIS1 and IIS2 in WebSet, SQL1 and SQL2 alone, all running in the cloud service contosoweb."""
    service = factories.CloudServiceFactory(subscription=subscription, name="contosoweb")
    web_set = factories.AvailabilitySetFactory(cloud_service=service, name="WebSet")
    for name, slot in (("IIS1", 0), ("IIS2", 1)):
        factories.MembershipFactory(
            availability_set=web_set, virtual_machine__name=name, fault_domain=slot, update_domain=slot
        )
    for name in ("SQL1", "SQL2"):
        factories.VirtualMachineFactory(cloud_service=service, name=name)
    return {vm.name: vm for vm in VirtualMachine.objects.all()}


def choose_target(form, target: str) -> None:
    """Type the start of a set's or VM's name, see it suggested, then take the suggestion ("name (service)")."""
    field = form.get_by_label("Availability set or virtual machine")
    field.press_sequentially(target.split(" (")[0][:3])
    expect(form.locator(f'datalist option[value="{target}"]')).to_have_count(1)
    field.fill(target)


def add_role(page: Page, name: str, target: str) -> None:
    form = page.get_by_role("form", name="Add a role")
    form.get_by_label("Role Name").fill(name)
    choose_target(form, target)
    form.get_by_role("button", name="Add role").click()
    expect(page.get_by_text(f"The role {name} was added.")).to_be_visible()


def configure_set(page: Page, vm: VirtualMachine, choice: str, new_name: str = "") -> None:
    """Steps 3 and 4: the VM's Configure tab, a set (or a new one), Save; the VM restarts and runs again."""
    page.goto(f"/virtual-machines/{vm.pk}/")
    page.get_by_role("link", name="Configure").click()
    page.get_by_label("Availability Set", exact=True).select_option(label=choice)
    if new_name:
        page.get_by_label("Availability Set Name").fill(new_name)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("Running", exact=True).first).to_be_visible(timeout=20_000)


def test_the_seeds_application_loses_its_single_point_of_failure_and_a_walk_keeps_it_up(
    signed_in_page: Page, seed_machines
):
    page = signed_in_page

    # New -> Application: a name, then the roles and what depends on what.
    page.get_by_role("contentinfo", name="Command bar").get_by_role("button", name="New", exact=True).click()
    page.get_by_role("region", name="New").get_by_role("link", name="Application").click()
    page.get_by_label("Application Name").fill("Web shop")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Web shop")
    add_role(page, "Web", "WebSet (contosoweb)")
    add_role(page, "Data", "SQL1 (contosoweb)")
    dependency = page.get_by_role("form", name="Add a dependency")
    dependency.get_by_label("Role").select_option(label="Web")
    dependency.get_by_label("Depends on").select_option(label="Data")
    dependency.get_by_role("button", name="Add dependency").click()

    # The page names SQL1 as the single point of failure, with the dependency drawn.
    expect(page.get_by_text("Single point of failure: Data.")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Web depends on Data"))).to_be_visible()
    expect(
        page.get_by_text(re.compile("can take down SQL1, the only member of the Data role; Web depends on Data")).first
    ).to_be_visible()
    expect(page.get_by_text("SQL1 is in no availability set")).to_be_visible()
    application_url = page.url

    # SQL2 joins SQL1 in a new set, SQLSet (Steps 3 and 4); the finding offers the set as the Data role, in one step.
    configure_set(page, seed_machines["SQL1"], "Create Availability Set", new_name="SQLSet")
    configure_set(page, seed_machines["SQL2"], "SQLSet")
    page.goto(application_url)
    expect(page.get_by_text("The Data role has one virtual machine, SQL1.")).to_be_visible()
    page.get_by_role("link", name="Make SQLSet the Data role").click()
    page.get_by_role("button", name="Make SQLSet the Data role").click()
    expect(page.get_by_text("The Data role is now the availability set SQLSet.")).to_be_visible()
    expect(page.get_by_text("No single point of failure")).to_be_visible()
    expect(page.get_by_text("Single point of failure: Data.")).to_have_count(0)
    expect(page.get_by_text("SQL1 is in no availability set")).to_have_count(0)
    grids = page.get_by_role("region", name="Data")
    expect(grids.get_by_role("row").filter(has_text="FD 0")).to_contain_text("SQL1")
    expect(grids.get_by_role("row").filter(has_text="FD 1")).to_contain_text("SQL2")

    # A planned maintenance walk runs on the fabric; its report says the application stayed up.
    drill = page.get_by_role("form", name="Start a drill")
    drill.get_by_role("radio", name="Planned maintenance walk").check()
    drill.get_by_role("button", name="Start drill").click()
    expect(page.get_by_role("heading", name="Drill under way: Planned maintenance walk")).to_be_visible()
    expect(page.get_by_text("No single point of failure")).to_be_visible()  # the drill's own downtime is no fault
    report_link = page.get_by_role("region", name="Drill reports").get_by_role("link", name="Planned maintenance walk")
    expect(report_link).to_be_visible(timeout=40_000)
    # The page left open shows the drill form again, and the last drill's result, without a reload.
    expect(page.get_by_role("heading", name="Drill under way")).to_have_count(0)
    expect(page.get_by_role("form", name="Start a drill")).to_be_visible()
    expect(page.get_by_text(re.compile("Last drill: Planned maintenance walk, completed"))).to_be_visible()
    report_link.click()
    expect(page.get_by_text("The application stayed up: 0 seconds down.")).to_be_visible()
    expect(page.get_by_text("The drill matched the prediction.")).to_be_visible()
    expect(page.get_by_text(re.compile("Update domain 1: IIS2, SQL2 shut down for their update"))).to_be_visible()
