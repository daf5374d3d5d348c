"""axe-core on every page, every wizard page, error states and open dialogs: no critical or serious violation."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from classic.services import management_certificate_upload
from credentials.services import api_token_create
from tests import factories
from tests.factories import STRONG_PASSWORD, certificate_pem
from tests.helpers.axe import BLOCKING, assert_accessible, serious_violations, sign_in
from vms.models import Image, VirtualMachine


def test_every_page_and_open_panel_has_no_serious_violation(axe_page: Page, user, portal_data):
    page = axe_page
    # Staff: the pages then show what only staff see (a VM's host, the Hosts page).
    user.is_staff = True
    user.save()
    sign_in(page, user)
    vm = portal_data.virtual_machine
    availability_set = portal_data.availability_set
    pages = {
        "virtual machines": reverse("vms:list"),
        "cloud services": reverse("vms:cloud-services"),
        "storage": reverse("vms:storage"),
        "networks": reverse("vms:networks"),
        "notifications": reverse("vms:notifications"),
        "activity log": reverse("vms:activity"),
        "dashboard": reverse("vms:dashboard", args=[vm.pk]),
        "configure": reverse("vms:configure", args=[vm.pk]),
        "availability sets": reverse("availability:list", args=[availability_set.cloud_service_id]),
        "set page": reverse("availability:detail", args=[availability_set.pk]),
        "dns name check": reverse("vms:dns-name-check") + "?dns_name=Bad_Name",
        "quick create page": reverse("vms:quick-create"),
        "wizard as a page": reverse("vms:wizard"),
        "new storage account page": reverse("vms:storage-create"),
        "hosts": reverse("fabric:hosts"),
    }
    for name, url in pages.items():
        page.goto(url)
        expect(page.locator("#notifications")).to_be_attached()
        assert_accessible(page, name)

    page.goto(reverse("vms:list"))
    page.get_by_role("button", name="New", exact=True).click()
    page.get_by_role("region", name="New").get_by_role("button", name="Virtual Machine").click()
    expect(page.get_by_role("link", name="Quick Create")).to_be_visible()
    assert_accessible(page, "New drawer open")

    page.keyboard.press("Escape")
    page.get_by_role("button", name="Notifications").click()
    expect(page.locator("#notifications-panel")).to_be_visible()
    assert_accessible(page, "notification panel open")


def test_dialogs_and_their_error_states_have_no_serious_violation(axe_page: Page, user, portal_data):
    page = axe_page
    sign_in(page, user)
    vm = portal_data.virtual_machine
    drawer = page.get_by_role("region", name="New")
    for entry, title in [
        ("Cloud Service", "New cloud service"),
        ("Affinity Group", "New affinity group"),
        ("Virtual Network", "New virtual network"),
        ("Storage Account", "New storage account"),
    ]:
        page.goto(reverse("vms:list"))
        page.get_by_role("button", name="New", exact=True).click()
        drawer.get_by_role("link", name=entry).click()
        dialog = page.get_by_role("dialog", name=title)
        expect(dialog).to_be_visible()
        assert_accessible(page, f"{title} dialog")
        dialog.get_by_role("button", name="Create").click()
        expect(dialog.locator(".invalid-feedback").first).to_be_visible()
        assert_accessible(page, f"{title} dialog with errors")

    page.goto(reverse("vms:list"))
    page.get_by_role("button", name="New", exact=True).click()
    drawer.get_by_role("button", name="Virtual Machine").click()
    drawer.get_by_role("link", name="Quick Create").click()
    dialog = page.get_by_role("dialog", name="Quick Create")
    expect(dialog).to_be_visible()
    dialog.locator("summary", has_text="Help: DNS Name").click()
    expect(dialog.get_by_text("free across every subscription")).to_be_visible()
    assert_accessible(page, "Quick Create with help open")
    dialog.get_by_role("button", name="Create virtual machine").click()
    expect(dialog.locator(".invalid-feedback").first).to_be_visible()
    assert_accessible(page, "Quick Create with errors")

    factories.VirtualMachineFactory(
        cloud_service__subscription=vm.cloud_service.subscription,
        name="Lin1",
        image_version=Image.objects.get(name="Ubuntu Server 12.04 LTS").versions.first(),
        status=VirtualMachine.Status.RUNNING,
    )
    page.goto(reverse("vms:list"))
    page.get_by_role("row", name="Lin1").get_by_role("cell", name="Running").click()
    page.get_by_role("contentinfo", name="Command bar").get_by_role("link", name="Connect").click()
    expect(page.get_by_role("dialog", name="Connect to Lin1")).to_be_visible()
    assert_accessible(page, "a selected row and the Connect dialog")

    page.goto(reverse("vms:dashboard", args=[vm.pk]))
    page.get_by_role("contentinfo", name="Command bar").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("dialog", name=f"Delete virtual machine {vm.name}?")).to_be_visible()
    assert_accessible(page, "delete confirmation")


def test_every_wizard_page_and_its_errors_have_no_serious_violation(axe_page: Page, user, portal_data):
    page = axe_page
    sign_in(page, user)
    page.get_by_role("button", name="New", exact=True).click()
    drawer = page.get_by_role("region", name="New")
    drawer.get_by_role("button", name="Virtual Machine").click()
    drawer.get_by_role("link", name="From Gallery").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Select the virtual machine operating system")).to_be_visible()
    assert_accessible(page, "wizard page 1")
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_text("Select an image to continue.")).to_be_visible()
    assert_accessible(page, "wizard page 1 with an error")
    dialog.get_by_role("radio", name="Windows Server 2012 Datacenter").check()
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_role("heading", name="Virtual machine configuration")).to_be_visible()
    assert_accessible(page, "wizard page 2")
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.locator(".invalid-feedback").first).to_be_visible()
    assert_accessible(page, "wizard page 2 with errors")
    dialog.get_by_label("Virtual Machine Name").fill("web9")
    dialog.get_by_label("New User Name").fill("contosoadmin")
    dialog.get_by_label("New Password").fill(STRONG_PASSWORD)
    dialog.get_by_label("Confirm Password").fill(STRONG_PASSWORD)
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_role("heading", name="Virtual machine mode")).to_be_visible()
    assert_accessible(page, "wizard page 3")
    dialog.get_by_label("DNS Name").fill("Bad_Name")
    expect(dialog.get_by_text("The name can contain")).to_be_visible()
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.locator(".invalid-feedback").first).to_be_visible()
    assert_accessible(page, "wizard page 3 with errors")
    dialog.get_by_label("DNS Name").fill("contosoweb9")
    dialog.get_by_label("Region/Affinity Group/Virtual Network").select_option(label="West US")
    dialog.get_by_role("button", name="Next").click()
    expect(dialog.get_by_role("heading", name="Virtual machine options")).to_be_visible()
    dialog.get_by_label("Availability Set", exact=True).select_option(label="Create availability set")
    dialog.locator("summary", has_text="Help: Availability Set").click()
    expect(dialog.get_by_text("never stops all of them")).to_be_visible()
    assert_accessible(page, "wizard page 4 with its help open")
    dialog.get_by_role("button", name="Create virtual machine").click()
    expect(dialog.locator(".invalid-feedback").first).to_be_visible()
    assert_accessible(page, "wizard page 4 with an error")


def test_the_settings_pages_and_the_api_docs_have_no_serious_violation(axe_page: Page, user, subscription):
    """Settings (Subscriptions with its usage bars, API tokens, Management certificates), reached by its own
    navigation, and django-ninja's Swagger docs page."""
    page = axe_page
    expires_at = timezone.now() + timedelta(days=30)
    api_token_create(user=user, subscription=subscription, name="deploy", expires_at=expires_at)
    management_certificate_upload(subscription=subscription, user=user, data=certificate_pem())
    factories.SubscriptionFactory(members=[user], name="Second subscription")
    sign_in(page, user)
    page.get_by_role("navigation", name="Services").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Second subscription")).to_be_visible()
    expect(page.get_by_role("meter", name="Cores").first).to_be_visible()
    assert_accessible(page, "Subscriptions", BLOCKING | {"moderate"})
    settings_nav = page.get_by_role("navigation", name="Settings")
    settings_nav.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("cell", name="deploy", exact=True)).to_be_visible()
    assert_accessible(page, "API tokens")
    settings_nav.get_by_role("link", name="Management certificates").click()
    expect(page.get_by_role("heading", name="Management certificates")).to_be_visible()
    assert_accessible(page, "management certificates")
    settings_nav.get_by_role("link", name="Subscriptions").click()
    expect(page.get_by_text(str(subscription.subscription_id))).to_be_visible()

    refused = []
    page.on("console", lambda message: refused.append(message.text) if "Refused to" in message.text else None)
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="Classic Portal API")).to_be_visible()
    expect(page.get_by_role("heading", name="Catalog")).to_be_visible()
    assert_accessible(page, "API docs", BLOCKING | {"moderate"})
    assert refused == []


def test_the_check_itself_catches_the_old_navigation_colour(axe_page: Page, user, portal_data):
    """White on the old #1ba1e2 (2.89:1) and a role=menu holding <details> are what the check must catch."""
    page = axe_page
    sign_in(page, user)
    page.evaluate(
        """() => {
          document.querySelector('.portal-nav a[aria-current="page"]').style.background = '#1ba1e2';
          const menu = document.createElement('div');
          menu.setAttribute('role', 'menu');
          menu.innerHTML = '<details><summary>Virtual Machine</summary></details>';
          document.querySelector('main').append(menu);
        }"""
    )
    found = {violation["id"] for violation in serious_violations(page)}
    assert {"color-contrast", "aria-required-children"} <= found


def test_the_application_page_has_no_violation_at_all(axe_page: Page, user, subscription):
    """Every form of the page has its own ids, every control its name and every table header its words."""
    from tests.helpers.applications import web_shop

    application = web_shop(subscription)
    page = axe_page
    sign_in(page, user)
    page.goto(reverse("applications:detail", args=[application.pk]))
    expect(page.get_by_role("form", name="Start a drill")).to_be_visible()
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [(v["id"], v["impact"], [node["target"] for node in v["nodes"]][:5]) for v in result["violations"]]
    assert violations == []
    page.get_by_role("radio", name="Rack failure").check()
    expect(page.get_by_label("Sets")).to_be_visible()
    assert_accessible(page, "the application page with the rack failure's choices")


def test_the_help_dialog_and_the_help_pages_have_no_serious_violation(axe_page: Page, user, portal_data):
    """The header's Help opens a dialog about the page it is on, whose link leads to the docs section as a page."""
    page = axe_page
    sign_in(page, user)
    vm = portal_data.virtual_machine
    page.goto(reverse("vms:dashboard", args=[vm.pk]))
    help_link = page.get_by_role("banner").get_by_role("link", name="Help")
    help_link.click()
    dialog = page.get_by_role("dialog", name="Help: A virtual machine")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_text("how a client reaches it")).to_be_visible()
    assert_accessible(page, "Help dialog on a dashboard")
    page.keyboard.press("Escape")
    expect(dialog).not_to_be_attached()
    expect(help_link).to_be_focused()

    page.goto(reverse("availability:detail", args=[portal_data.availability_set_id]))
    page.get_by_role("banner").get_by_role("link", name="Help").click()
    dialog = page.get_by_role("dialog", name="Help: An availability set")
    dialog.get_by_role("link", name="Read more in the portal's documentation").click()
    expect(page).to_have_url(re.compile(r"/help/portal/#rebalance$"))
    expect(page.get_by_role("heading", name="Rebalance", exact=True)).to_be_in_viewport()
    assert_accessible(page, "a docs page under Help")

    page.goto(reverse("help"))
    expect(page.get_by_role("link", name="Load balancers: HAProxy carries", exact=False)).to_be_visible()
    assert_accessible(page, "the Help page")
