"""A person signs in and opens each page of the left navigation."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


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
