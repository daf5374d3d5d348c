"""A person signs in and opens each page of the left navigation."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from availability.models import AvailabilitySet
from tests.factories import deploy


def test_sign_in_and_open_each_navigation_page(signed_in_page: Page):
    page = signed_in_page
    navigation = page.get_by_role("navigation", name="Services")
    for link, heading in [
        ("Virtual Machines", "virtual machines"),
        ("Cloud Services", "cloud services"),
        ("Storage", "storage"),
        ("Networks", "networks"),
    ]:
        navigation.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(heading, re.IGNORECASE))
        expect(navigation.get_by_role("link", name=link)).to_have_attribute("aria-current", "page")


def test_an_anonymous_visitor_is_sent_to_sign_in(page: Page):
    page.goto("/virtual-machines/")
    expect(page).to_have_url(re.compile(r"/signin/\?next=/virtual-machines/"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def shell_state(page: Page) -> dict:
    """What the shell says about the page shown: its title, the highlighted service and the command bar's commands."""
    navigation = page.get_by_role("navigation", name="Services")
    bar = page.get_by_role("contentinfo", name="Command bar")
    commands = [
        " ".join(text.split())
        for text in bar.get_by_role("button").all_inner_texts() + bar.get_by_role("link").all_inner_texts()
        if not text.strip().startswith("Notifications")
    ]
    current = navigation.locator("[aria-current=page]")
    return {
        "url": page.url,
        "title": page.title(),
        "section": current.inner_text().strip() if current.count() else None,
        "commands": sorted(commands),
    }


def test_every_link_of_a_dashboard_brings_the_title_navigation_and_commands_of_its_page(
    signed_in_page: Page, user, subscription
):
    """After each link of web2's dashboard, and after Back, the shell is what a full load of that page shows."""
    page = signed_in_page
    web1 = deploy(user, subscription, name="web1", dns_name="contosoweb", availability_set_name="webset")
    web_set = AvailabilitySet.objects.get(name="webset")
    web2 = deploy(
        user, subscription, name="web2", dns_name="", cloud_service=web_set.cloud_service, availability_set=web_set
    ).virtual_machine
    assert web1.virtual_machine.cloud_service_id == web2.cloud_service_id

    dashboard = f"/virtual-machines/{web2.pk}/"
    page.goto(dashboard)
    expected_dashboard = shell_state(page)
    assert expected_dashboard["title"].startswith("web2")
    links = page.get_by_role("main").get_by_role("link")
    names = [" ".join(text.split()) for text in links.all_inner_texts()]
    assert {web2.cloud_service.name, "web1", "webset", "Configure", "Endpoints"} <= set(names)

    for index, name in enumerate(names):
        page.goto(dashboard)
        link = page.get_by_role("main").get_by_role("link").nth(index)
        href = link.get_attribute("href")
        link.click()
        expect(page).to_have_url(re.compile(re.escape(href) + "$"))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        after_click = shell_state(page)
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert after_click == shell_state(page), name

    # Back, through htmx's history, restores the dashboard with its own shell.
    page.goto(dashboard)
    page.get_by_role("main").get_by_role("link", name=web2.cloud_service.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(web2.cloud_service.name)
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("web2")
    assert shell_state(page) == expected_dashboard


def test_an_application_in_the_list_opens_with_its_own_title_and_commands(signed_in_page: Page, subscription):
    """The Applications list's link swaps the whole shell, as a full load of the application's page shows it."""
    from applications.services import application_create

    page = signed_in_page
    application = application_create(subscription=subscription, name="Web shop")
    page.goto("/applications/")
    page.get_by_role("main").get_by_role("link", name="Web shop", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/applications/{application.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Web shop")
    after_click = shell_state(page)
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Web shop")
    assert after_click == shell_state(page)
