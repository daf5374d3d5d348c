"""On a phone (390x844) the main pages fit the screen: a short header, the navigation behind a toggle, wide tables
scrolling inside their own wrapper; on a desktop the navigation stays on the left as before."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests import factories
from tests.factories import STRONG_PASSWORD
from tests.helpers.axe import AXE, serious_violations

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
VM_LIST_COLUMNS = ["Name", "Status", "Location", "DNS Name", "Availability Set"]


@pytest.fixture
def estate(user, subscription):
    """A staff person in two subscriptions (the header's longest form), a set of five, an application, an endpoint."""
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    factories.SubscriptionFactory(members=[user], name="Visual Studio Premium with MSDN")
    service = factories.CloudServiceFactory(subscription=subscription, name="contosoweb")
    web_set = factories.AvailabilitySetFactory(cloud_service=service, name="WebSet")
    machines = [
        factories.MembershipFactory(
            availability_set=web_set, virtual_machine__name=f"IIS{slot + 1}", fault_domain=slot % 2, update_domain=slot
        ).virtual_machine
        for slot in range(5)
    ]
    database = factories.VirtualMachineFactory(cloud_service=service, name="SQL1")
    application = factories.ApplicationFactory(subscription=subscription, name="Contoso web")
    factories.RoleFactory(application=application, name="Web", availability_set=web_set)
    factories.RoleFactory(application=application, name="Data", virtual_machine=database)
    factories.EndpointFactory(virtual_machine=machines[0], name="HTTP", public_port=80, private_port=80)
    return {
        "virtual machines": reverse("vms:list"),
        "dashboard": reverse("vms:dashboard", args=[machines[0].pk]),
        "set page": reverse("availability:detail", args=[web_set.pk]),
        "applications": reverse("applications:list"),
        "application page": reverse("applications:detail", args=[application.pk]),
        "cloud service page": reverse("endpoints:cloud-service", args=[service.pk]),
    }


def signed_in(browser, live_server, user, viewport: dict) -> Page:
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    context.set_default_timeout(15_000)
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.goto("/signin/")
    page.get_by_label("User name").fill(user.username)
    page.get_by_label("Password").fill(STRONG_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="virtual machines")).to_be_visible()
    return page


def horizontal_overflow(page: Page) -> dict:
    """How wide the document and the main area are against what they show: wider content must scroll elsewhere."""
    return page.evaluate(
        """() => {
          const main = document.querySelector('main');
          return {document: document.documentElement.scrollWidth, main: main.scrollWidth - main.clientWidth};
        }"""
    )


def test_the_main_pages_fit_a_phone_with_the_navigation_behind_its_toggle(browser, live_server, user, estate):
    page = signed_in(browser, live_server, user, PHONE)
    try:
        for name, url in estate.items():
            page.goto(url)
            expect(page.locator("#notifications")).to_be_attached()
            assert horizontal_overflow(page) == {"document": 390, "main": 0}, name
            header = page.get_by_role("banner").bounding_box()
            assert header["height"] <= 96, f"{name}: the header is {header['height']} px high"
            commands = page.get_by_role("contentinfo", name="Command bar")
            assert commands.evaluate("bar => bar.scrollHeight <= bar.clientHeight"), f"{name}: commands spill out"
            # A table that scrolls sideways can be reached and scrolled with the keyboard too.
            assert serious_violations(page) == [], name

            navigation = page.get_by_role("navigation", name="Services")
            toggle = page.get_by_role("button", name="Menu")
            expect(navigation).to_be_hidden()
            expect(toggle).to_have_attribute("aria-expanded", "false")
            expect(toggle).to_have_attribute("aria-controls", "portal-nav")
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
            expect(navigation.get_by_role("link", name="Settings")).to_be_in_viewport()
            assert horizontal_overflow(page)["document"] == 390, name

        page.goto(estate["set page"])
        bar = page.get_by_role("contentinfo", name="Command bar")
        delete = bar.get_by_role("button", name="Delete")
        expect(delete).to_be_disabled()
        reason = "Only an availability set with no virtual machines can be deleted."
        expect(delete).to_have_accessible_description(reason)
        shown, inside = bar.get_by_text(reason).bounding_box(), bar.bounding_box()
        assert inside["x"] <= shown["x"] and shown["x"] + shown["width"] <= inside["x"] + inside["width"]
        assert inside["y"] <= shown["y"] and shown["y"] + shown["height"] <= inside["y"] + inside["height"]

        page.goto(estate["virtual machines"])
        for column in VM_LIST_COLUMNS:
            header = page.get_by_role("columnheader", name=column, exact=True)
            header.scroll_into_view_if_needed()
            expect(header).to_be_in_viewport()
        assert horizontal_overflow(page) == {"document": 390, "main": 0}

        page.get_by_role("button", name="Menu").click()
        page.get_by_role("navigation", name="Services").get_by_role("link", name="Cloud Services").click()
        expect(page.get_by_role("heading", name="cloud services")).to_be_visible()
        expect(page.get_by_role("navigation", name="Services")).to_be_hidden()
    finally:
        page.context.close()


def test_on_a_desktop_the_navigation_stays_on_the_left_without_a_toggle(browser, live_server, user, estate):
    page = signed_in(browser, live_server, user, DESKTOP)
    try:
        for name, url in estate.items():
            page.goto(url)
            navigation = page.get_by_role("navigation", name="Services")
            expect(navigation).to_be_visible()
            expect(page.get_by_role("button", name="Menu")).to_be_hidden()
            box = navigation.bounding_box()
            assert (box["x"], box["width"]) == (0, 200), name
            assert page.get_by_role("banner").bounding_box()["height"] < 60, name
            assert horizontal_overflow(page) == {"document": 1440, "main": 0}, name
    finally:
        page.context.close()
