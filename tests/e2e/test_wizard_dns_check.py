"""The DNS Name check answers for what is in the field, even when it was typed before the page finished loading."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.helpers.browser_wizard import fill_gallery_and_configuration, open_from_gallery


def test_a_dns_name_entered_before_htmx_has_taken_up_the_page_is_still_checked(signed_in_page: Page):
    """htmx wires up a swapped page only when it settles; a name typed before that must still get its answer."""
    page = signed_in_page
    open_from_gallery(page)
    fill_gallery_and_configuration(page, image="Windows Server 2012 Datacenter", name="iis1")
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_role("heading", name="Virtual machine configuration")).to_be_visible()
    # Widen the moment between the page appearing and htmx taking it up, as a slow or busy machine does.
    page.evaluate("htmx.config.defaultSettleDelay = 1500")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Virtual machine mode")).to_be_visible()

    page.get_by_role("radio", name="Stand-alone virtual machine").check()
    page.get_by_label("DNS Name").fill("contosoweb")

    expect(page.get_by_text("contosoweb.cloudapp.net is available")).to_be_visible(timeout=5_000)


def test_a_dns_name_kept_from_before_is_checked_when_its_page_comes_back(signed_in_page: Page):
    page = signed_in_page
    open_from_gallery(page)
    fill_gallery_and_configuration(page, image="Windows Server 2012 Datacenter", name="iis1")
    page.get_by_role("radio", name="Stand-alone virtual machine").check()
    page.get_by_label("DNS Name").fill("contosoweb")
    expect(page.get_by_text("contosoweb.cloudapp.net is available")).to_be_visible()
    page.get_by_role("button", name="Back").click()
    expect(page.get_by_role("heading", name="Virtual machine configuration")).to_be_visible()

    page.get_by_role("button", name="Next").click()

    expect(page.get_by_label("DNS Name")).to_have_value("contosoweb")
    expect(page.get_by_text("contosoweb.cloudapp.net is available")).to_be_visible()


def test_the_check_answering_mid_name_leaves_focus_in_the_field(signed_in_page: Page):
    """A slow typist's pause lets the check answer; the rest of the name must still land in the field."""
    page = signed_in_page
    open_from_gallery(page)
    fill_gallery_and_configuration(page, image="Windows Server 2012 Datacenter", name="iis1")
    page.get_by_role("radio", name="Stand-alone virtual machine").check()
    field = page.get_by_label("DNS Name")
    field.press_sequentially("conto")
    expect(page.get_by_text("conto.cloudapp.net is available")).to_be_visible()

    page.keyboard.type("sweb")

    expect(field).to_be_focused()
    expect(field).to_have_value("contosweb")
    expect(page.get_by_text("contosweb.cloudapp.net is available")).to_be_visible()
