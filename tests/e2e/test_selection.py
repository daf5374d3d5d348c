"""Selection and commands on lists, and Connect, clicked through as a person does."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from vms.models import Image, VirtualMachine

pytestmark = pytest.mark.usefixtures("worker")


def test_a_clicked_row_gets_its_commands_and_connect_shows_ssh(signed_in_page: Page, subscription):
    page = signed_in_page
    linux = Image.objects.get(name="Ubuntu Server 12.04 LTS").versions.first()
    factories.VirtualMachineFactory(
        cloud_service__subscription=subscription,
        cloud_service__name="contosolinux",
        name="Lin1",
        image_version=linux,
        admin_username="contosoadmin",
        status=VirtualMachine.Status.RUNNING,
    )
    page.goto("/virtual-machines/")
    bar = page.get_by_role("contentinfo", name="Command bar")
    expect(bar.get_by_role("button", name="Restart")).to_have_count(0)

    page.get_by_role("row", name="Lin1").get_by_role("cell", name="Running").click()
    expect(page.get_by_role("radio", name="Select Lin1")).to_be_checked()
    expect(bar.get_by_role("button", name="Restart")).to_be_enabled()
    expect(bar.get_by_role("button", name="Start", exact=True)).to_be_disabled()

    bar.get_by_role("link", name="Connect").click()
    dialog = page.get_by_role("dialog", name="Connect to Lin1")
    expect(dialog.get_by_label("SSH command")).to_have_value("ssh -p 22 contosoadmin@contosolinux.cloudapp.net")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)

    bar.get_by_role("button", name="Restart").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lin1")
    expect(page).to_have_url(
        f"{page.url.split('/virtual-machines/')[0]}/virtual-machines/{VirtualMachine.objects.get().pk}/"
    )


def test_windows_connect_downloads_a_remote_desktop_file(signed_in_page: Page, subscription):
    page = signed_in_page
    vm = factories.VirtualMachineFactory(
        cloud_service__subscription=subscription, name="IIS1", status=VirtualMachine.Status.RUNNING
    )
    page.goto(f"/virtual-machines/{vm.pk}/")
    with page.expect_download() as download:
        page.get_by_role("contentinfo", name="Command bar").get_by_role("link", name="Connect").click()
    assert download.value.suggested_filename == "IIS1.rdp"
