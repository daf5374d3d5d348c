"""An upload over the portal's request limit ends on a page that says so, in the dialog as on a full page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.factories import STRONG_PASSWORD
from tests.helpers.browser_wizard import open_from_gallery


@pytest.mark.allow_console_errors(r"\b413\b")
def test_a_certificate_over_the_request_limit_gets_the_request_too_large_page(signed_in_page: Page, settings):
    settings.MAX_REQUEST_BYTES = 8 * 1024
    page = signed_in_page
    open_from_gallery(page)
    page.get_by_role("radio", name="Ubuntu Server 12.04 LTS").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Virtual machine configuration")).to_be_visible()
    page.get_by_label("Virtual Machine Name").fill("linux1")
    page.get_by_label("New User Name").fill("contosoadmin")
    page.get_by_label("New Password").fill(STRONG_PASSWORD)
    page.get_by_label("Confirm Password").fill(STRONG_PASSWORD)
    page.get_by_label("Upload compatible SSH key for authentication").check()
    page.get_by_label("SSH certificate (.pem)").set_input_files(
        {"name": "key.pem", "mimeType": "application/x-pem-file", "buffer": b"x" * 20 * 1024}
    )

    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Request too large")).to_be_visible()
    expect(page.get_by_text("more than the portal accepts in one request (8 KB)")).to_be_visible()
