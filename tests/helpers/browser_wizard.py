"""The From Gallery wizard clicked through in the browser, as a person does."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.factories import STRONG_PASSWORD


def open_from_gallery(page: Page) -> None:
    """Command bar: New -> Virtual Machine -> From Gallery."""
    page.get_by_role("contentinfo", name="Command bar").get_by_role("button", name="New", exact=True).click()
    drawer = page.get_by_role("region", name="New")
    drawer.get_by_role("button", name="Virtual Machine").click()
    drawer.get_by_role("link", name="From Gallery").click()
    expect(page.get_by_role("dialog", name="Select the virtual machine operating system")).to_be_visible()


def fill_gallery_and_configuration(page: Page, *, image: str, name: str) -> None:
    """Pages 1 and 2: an image, then the name, the administrator and the size."""
    page.get_by_role("radio", name=image).check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Virtual machine configuration")).to_be_visible()
    page.get_by_label("Virtual Machine Name").fill(name)
    page.get_by_label("New User Name").fill("contosoadmin")
    page.get_by_label("New Password").fill(STRONG_PASSWORD)
    page.get_by_label("Confirm Password").fill(STRONG_PASSWORD)
    page.get_by_label("Size").select_option(label="Small (A1) (1 core, 1.75 GB)")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Virtual machine mode")).to_be_visible()
