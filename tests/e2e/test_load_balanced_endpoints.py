"""Two web VMs in one availability set behind one HTTP load-balanced set: a restart takes one out and back."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from availability.models import AvailabilitySet
from tests.factories import deploy
from vms.models import VirtualMachine

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture
def web_vms(user, subscription, settings):
    """iis1 and iis2, running in one cloud service and one availability set."""
    settings.ENDPOINT_PROBE_MIN_INTERVAL_SECONDS = 1
    first = deploy(user, subscription, name="iis1", dns_name="contosoweb", availability_set_name="webset")
    web_set = AvailabilitySet.objects.get(name="webset")
    second = deploy(
        user, subscription, name="iis2", dns_name="", cloud_service=web_set.cloud_service, availability_set=web_set
    )
    return first.virtual_machine, second.virtual_machine


def wait_running(*vms: VirtualMachine) -> None:
    for vm in vms:
        for _ in range(100):
            vm.refresh_from_db()
            if vm.status == VirtualMachine.Status.RUNNING:
                break
            time.sleep(0.1)
        assert vm.status == VirtualMachine.Status.RUNNING


def open_endpoints_tab(page: Page, vm: VirtualMachine) -> None:
    page.goto(f"/virtual-machines/{vm.pk}/")
    page.get_by_role("link", name="Endpoints", exact=True).click()
    expect(page.get_by_role("heading", name="Endpoints", exact=True)).to_be_visible()


def test_a_restarted_member_leaves_and_rejoins_rotation_while_the_port_stays_up(
    signed_in_page: Page, web_vms, settings
):
    page = signed_in_page
    iis1, iis2 = web_vms
    wait_running(iis1, iis2)

    # iis1: Add -> a stand-alone HTTP endpoint that creates the load-balanced set.
    open_endpoints_tab(page, iis1)
    expect(page.get_by_role("row", name=re.compile("RemoteDesktop"))).to_be_visible()
    page.get_by_role("contentinfo", name="Command bar").get_by_role("link", name="Add").click()
    dialog = page.get_by_role("dialog", name="Add an endpoint to a virtual machine")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Add a stand-alone endpoint").check()
    dialog.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Specify the details of the endpoint")).to_be_visible()
    # The well-known name fills in the protocol and both ports.
    page.get_by_label("Name", exact=True).fill("HTTP")
    page.get_by_label("Name", exact=True).press("Tab")
    expect(page.get_by_label("Public Port")).to_have_value("80")
    expect(page.get_by_label("Private Port")).to_have_value("80")
    page.get_by_label("Create a load-balanced set").check()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Configure the load-balanced set")).to_be_visible()
    page.get_by_label("Load-Balanced Set Name").fill("webfarm")
    page.get_by_label("Probe Protocol").select_option(label="HTTP")
    page.get_by_label("Probe Port").fill("80")
    page.get_by_label("Probe Path").fill("/")
    page.get_by_label("Probe Interval").fill("1")
    page.get_by_label("Number Of Probes").fill("2")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("row", name=re.compile(r"HTTP TCP 80 80 webfarm"))).to_be_visible()

    # iis2: Add -> an endpoint of the existing set, which brings its protocol and ports.
    open_endpoints_tab(page, iis2)
    page.get_by_role("contentinfo", name="Command bar").get_by_role("link", name="Add").click()
    dialog = page.get_by_role("dialog", name="Add an endpoint to a virtual machine")
    dialog.get_by_label("Add an endpoint to an existing load-balanced set").check()
    dialog.get_by_label("Load-Balanced Set", exact=True).select_option(label="webfarm (TCP 80)")
    dialog.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Specify the details of the endpoint")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("HTTP")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("row", name=re.compile(r"HTTP TCP 80 80 webfarm"))).to_be_visible()

    # The cloud service page: both members in rotation, the port up.
    page.get_by_role("navigation", name="Services").get_by_role("link", name="Cloud Services").click()
    page.get_by_role("link", name="contosoweb", exact=True).click()
    webfarm = page.get_by_role("article", name="webfarm")
    expect(webfarm).to_contain_text("2 of 2 members in rotation", timeout=20_000)

    # Restart iis1 from its dashboard, slowly enough for its probes to fail twice.
    settings.FABRIC_OPERATION_SECONDS = 6
    page.goto(f"/virtual-machines/{iis1.pk}/")
    page.get_by_role("contentinfo", name="Command bar").get_by_role("button", name="Restart").click()
    expect(page.get_by_text("Restarting", exact=True).first).to_be_visible()

    # It leaves rotation while the port stays up on iis2, then rejoins.
    page.goto(f"/cloud-services/{iis1.cloud_service_id}/")
    webfarm = page.get_by_role("article", name="webfarm")
    expect(webfarm).to_contain_text("1 of 2 members in rotation", timeout=20_000)
    expect(webfarm.get_by_role("row", name=re.compile("^iis1"))).to_contain_text("No")
    expect(webfarm).to_contain_text("up")
    expect(webfarm).not_to_contain_text("down")
    expect(webfarm).to_contain_text("2 of 2 members in rotation", timeout=30_000)
    expect(
        webfarm.get_by_role("img", name=re.compile(r"^iis1 over the last hour: .*out from .*in from"))
    ).to_be_visible()
