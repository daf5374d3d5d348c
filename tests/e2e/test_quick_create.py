"""Quick Create asks the DNS Name as the wizard does: NAME.cloudapp.net, checked as it is typed."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests import factories


def test_quick_creates_dns_name_is_checked_as_it_is_typed(signed_in_page: Page):
    factories.CloudServiceFactory(name="contosoweb")
    page = signed_in_page
    page.get_by_role("contentinfo", name="Command bar").get_by_role("button", name="New", exact=True).click()
    drawer = page.get_by_role("region", name="New")
    drawer.get_by_role("button", name="Virtual Machine").click()
    drawer.get_by_role("link", name="Quick Create").click()
    dialog = page.get_by_role("dialog", name="Quick Create")
    field = dialog.get_by_label("DNS Name")
    expect(dialog.get_by_text(".cloudapp.net", exact=True)).to_be_visible()

    field.press_sequentially("contosoweb")
    expect(dialog.get_by_text("contosoweb.cloudapp.net is already taken")).to_be_visible()
    field.fill("contosoweb2")
    expect(dialog.get_by_text("contosoweb2.cloudapp.net is available")).to_be_visible()
    expect(field).to_be_focused()
