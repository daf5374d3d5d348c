"""The keyboard alone: the wizard, Configure and a delete; Enter means Next; focus goes where a person expects."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.factories import STRONG_PASSWORD, deploy
from vms.models import VirtualMachine

pytestmark = pytest.mark.usefixtures("worker")


def is_focused(locator: Locator) -> bool:
    return locator.evaluate("element => element === document.activeElement")


def tab_to(page: Page, locator: Locator, *, limit: int = 80) -> None:
    """Press Tab until the locator's element has focus, as a keyboard user moves through the page."""
    for _ in range(limit):
        if locator.count() == 1 and is_focused(locator):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


def type_into(page: Page, locator: Locator, text: str) -> None:
    tab_to(page, locator)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def open_from_gallery_by_keyboard(page: Page) -> None:
    new = page.get_by_role("button", name="New", exact=True)
    tab_to(page, new)
    page.keyboard.press("Enter")
    drawer = page.get_by_role("region", name="New")
    tab_to(page, drawer.get_by_role("button", name="Virtual Machine"))
    page.keyboard.press("Enter")
    tab_to(page, drawer.get_by_role("link", name="From Gallery"))
    page.keyboard.press("Enter")
    heading = page.get_by_role("heading", name="Select the virtual machine operating system")
    expect(heading).to_be_focused()


def choose_radio(page: Page, group_first: Locator, wanted: Locator) -> None:
    """Tab into a radio group, then move with the arrow keys to the wanted choice."""
    tab_to(page, group_first)
    for _ in range(30):
        if wanted.is_checked():
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError("the wanted radio was never reached")


def test_enter_in_confirm_password_goes_forward_and_keeps_the_entries(signed_in_page: Page):
    page = signed_in_page
    open_from_gallery_by_keyboard(page)
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("radio", name="Windows Server 2012 Datacenter").check()
    dialog.get_by_role("radio", name="Windows Server 2012 Datacenter").press("Enter")
    expect(dialog.get_by_role("heading", name="Virtual machine configuration")).to_be_focused()
    dialog.get_by_label("Virtual Machine Name").fill("web1")
    dialog.get_by_label("New User Name").fill("contosoadmin")
    dialog.get_by_label("New Password").fill(STRONG_PASSWORD)
    dialog.get_by_label("Confirm Password").fill(STRONG_PASSWORD)
    dialog.get_by_label("Confirm Password").press("Enter")
    expect(dialog.get_by_role("heading", name="Virtual machine mode")).to_be_focused()

    # The step indicator goes back to a completed page; what was entered there is still there.
    dialog.get_by_role("button", name="go to step 2 of 4").click()
    expect(dialog.get_by_role("heading", name="Virtual machine configuration")).to_be_focused()
    expect(dialog.get_by_label("Virtual Machine Name")).to_have_value("web1")
    expect(dialog.get_by_text("Leave New Password and Confirm Password empty")).to_be_visible()
    dialog.get_by_label("Virtual Machine Name").press("Enter")
    expect(dialog.get_by_role("heading", name="Virtual machine mode")).to_be_visible()

    # Back is a round arrow button with its name; it is never what Enter presses.
    dialog.get_by_role("button", name="Back").click()
    expect(dialog.get_by_role("heading", name="Virtual machine configuration")).to_be_visible()


def test_escape_asks_before_discarding_a_draft_and_focus_returns_to_new(signed_in_page: Page):
    page = signed_in_page
    open_from_gallery_by_keyboard(page)
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("radio", name="Windows Server 2012 Datacenter").check()

    questions = []
    page.once("dialog", lambda question: (questions.append(question.message), question.dismiss()))
    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()
    assert questions and "Discard" in questions[0]

    page.once("dialog", lambda question: question.accept())
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("button", name="New", exact=True)).to_be_focused()


def test_the_wizard_configure_and_a_delete_with_the_keyboard_only(signed_in_page: Page):
    page = signed_in_page
    open_from_gallery_by_keyboard(page)
    dialog = page.get_by_role("dialog")

    choose_radio(
        page, dialog.get_by_role("radio").first, dialog.get_by_role("radio", name="Windows Server 2012 Datacenter")
    )
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="Virtual machine configuration")).to_be_focused()
    type_into(page, dialog.get_by_label("Virtual Machine Name"), "keys1")
    type_into(page, dialog.get_by_label("New User Name"), "contosoadmin")
    type_into(page, dialog.get_by_label("New Password"), STRONG_PASSWORD)
    type_into(page, dialog.get_by_label("Confirm Password"), STRONG_PASSWORD)
    page.keyboard.press("Enter")

    expect(dialog.get_by_role("heading", name="Virtual machine mode")).to_be_focused()
    type_into(page, dialog.get_by_label("DNS Name"), "contosokeys")
    tab_to(page, dialog.get_by_label("Region/Affinity Group/Virtual Network"))
    page.keyboard.type("West US")
    expect(dialog.get_by_label("Region/Affinity Group/Virtual Network")).to_have_value(
        dialog.get_by_role("option", name="West US").get_attribute("value")
    )
    tab_to(page, dialog.get_by_role("button", name="Next"))
    page.keyboard.press("Enter")

    expect(dialog.get_by_role("heading", name="Virtual machine options")).to_be_focused()
    tab_to(page, dialog.get_by_role("button", name="Create virtual machine"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("keys1")
    expect(page.get_by_text("Running", exact=True).first).to_be_visible(timeout=20_000)

    # Configure: create a set for the VM and save, from the command bar.
    tab_to(page, page.get_by_role("link", name="Configure"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Configure")).to_have_attribute("aria-current", "page")
    tab_to(page, page.get_by_label("Availability Set", exact=True))
    page.keyboard.type("Create")
    type_into(page, page.get_by_label("Availability Set Name"), "KeySet")
    tab_to(page, page.get_by_role("button", name="Save"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Running", exact=True).first).to_be_visible(timeout=20_000)
    expect(page.get_by_role("link", name="KeySet", exact=True)).to_be_visible()

    # Delete: the native modal asks; No closes it and focus returns to Delete; Yes deletes.
    delete = page.get_by_role("contentinfo", name="Command bar").get_by_role("button", name="Delete")
    tab_to(page, delete)
    page.keyboard.press("Enter")
    confirm = page.get_by_role("dialog", name="Delete virtual machine keys1?")
    expect(confirm).to_be_visible()
    expect(confirm.get_by_role("link", name="No")).to_be_focused()
    page.keyboard.press("Escape")
    expect(confirm).to_have_count(0)
    expect(delete).to_be_focused()
    page.keyboard.press("Enter")
    expect(confirm).to_be_visible()
    tab_to(page, confirm.get_by_role("button", name="Yes"), limit=5)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Deleting", exact=True).first).to_be_visible()
    for _ in range(40):  # the worker deletes it in the background
        if not VirtualMachine.objects.filter(name="keys1").exists():
            break
        page.wait_for_timeout(500)
    assert not VirtualMachine.objects.filter(name="keys1").exists()


def test_new_then_virtual_machine_always_shows_the_choices(signed_in_page: Page):
    """However often the drawer was opened and closed before, New -> Virtual Machine shows From Gallery."""
    page = signed_in_page
    new = page.get_by_role("button", name="New", exact=True)
    drawer = page.get_by_role("region", name="New")
    for close in ("Escape", "click New", "click outside"):
        new.click()
        drawer.get_by_role("button", name="Virtual Machine").click()
        expect(drawer.get_by_role("link", name="From Gallery")).to_be_visible()
        if close == "Escape":
            page.keyboard.press("Escape")
            expect(new).to_be_focused()
        elif close == "click New":
            new.click()
        else:
            page.get_by_role("heading", level=1).click()
        expect(drawer).to_be_hidden()
    new.click()
    drawer.get_by_role("button", name="Virtual Machine").click()
    drawer.get_by_role("link", name="From Gallery").click()
    expect(page.get_by_role("dialog", name="Select the virtual machine operating system")).to_be_visible()


def tab_stops(page: Page, dialog: Locator) -> list[str]:
    """Press Tab from the dialog's heading round to it again; return the names of the controls met, in order."""
    met: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        name = dialog.evaluate(
            """dialog => {
              const focused = document.activeElement;
              if (!dialog.contains(focused)) return "(outside)";
              return focused.getAttribute("aria-label") || focused.labels?.[0]?.textContent.trim()
                || focused.textContent.trim();
            }"""
        )
        met.append(name)
        if len(met) > 2 and met.count(met[0]) == 2:
            return met
    raise AssertionError(f"Tab never came round: {met}")


def test_the_vm_wizard_tab_order_follows_what_is_drawn(signed_in_page: Page):
    """The step indicator and Close, drawn at the top, come before the page's fields and its arrows."""
    page = signed_in_page
    open_from_gallery_by_keyboard(page)
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("radio", name="Windows Server 2012 Datacenter").check()
    dialog.get_by_role("radio", name="Windows Server 2012 Datacenter").press("Enter")
    heading = dialog.get_by_role("heading", name="Virtual machine configuration")
    expect(heading).to_be_focused()
    stops = tab_stops(page, dialog)
    # From the last control, Tab leaves the dialog; coming back in, it starts at the top.
    assert stops[stops.index("(outside)") - 2 : stops.index("(outside)")] == ["Back", "Next"], stops
    coming_back = stops[stops.index("(outside)") + 1 :]
    assert coming_back[0].startswith("1: go to step 1 of 4") and coming_back[1] == "Close", stops


def test_a_refused_wizard_page_puts_focus_on_the_first_field_with_an_error(signed_in_page: Page):
    page = signed_in_page
    open_from_gallery_by_keyboard(page)
    dialog = page.get_by_role("dialog")
    dialog.get_by_role("radio", name="Windows Server 2012 Datacenter").check()
    dialog.get_by_role("radio", name="Windows Server 2012 Datacenter").press("Enter")
    expect(dialog.get_by_role("heading", name="Virtual machine configuration")).to_be_focused()
    dialog.get_by_label("Virtual Machine Name").fill("web1")
    dialog.get_by_label("Virtual Machine Name").press("Enter")
    expect(dialog.get_by_label("New User Name")).to_be_focused()
    expect(dialog.get_by_label("New User Name")).to_have_attribute("aria-invalid", "true")


def test_the_add_endpoint_wizard_moves_like_the_vm_wizard(signed_in_page: Page, user, subscription):
    """Focus on the heading as it opens and after each page; Enter goes forward; a refused page focuses its field."""
    page = signed_in_page
    vm = deploy(user, subscription, name="web1", dns_name="contosoweb").virtual_machine
    page.goto(f"/virtual-machines/{vm.pk}/endpoints/")
    add = page.get_by_role("contentinfo", name="Command bar").get_by_role("link", name="Add")
    tab_to(page, add)
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Add an endpoint to a virtual machine")).to_be_focused()
    stops = tab_stops(page, dialog)
    assert stops[stops.index("(outside)") + 1] == "Close", stops

    choose_radio(
        page, dialog.get_by_role("radio").first, dialog.get_by_role("radio", name="Add a stand-alone endpoint")
    )
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="Specify the details of the endpoint")).to_be_focused()
    # The same round arrows as the VM wizard's: Back by its name, and Enter in a field goes forward, never back.
    expect(dialog.get_by_role("button", name="Back")).to_be_visible()
    type_into(page, dialog.get_by_label("Name", exact=True), "Web")
    page.keyboard.press("Enter")
    expect(dialog.get_by_role("heading", name="Specify the details of the endpoint")).to_be_visible()
    expect(dialog.get_by_label("Public Port")).to_be_focused()
    expect(dialog.get_by_label("Public Port")).to_have_attribute("aria-invalid", "true")

    type_into(page, dialog.get_by_label("Public Port"), "8080")
    type_into(page, dialog.get_by_label("Private Port"), "80")
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile(r"Web TCP 8080 80"))).to_be_visible()
