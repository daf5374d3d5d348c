"""A person rebalances a lopsided set: sees the plan, backs out, then confirms, and the worker moves the VM."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from availability.models import Membership
from tests import factories


def test_rebalance_shows_the_plan_then_moves_the_vm_through_the_worker(signed_in_page: Page, subscription, worker):
    page = signed_in_page
    web_set = factories.AvailabilitySetFactory(cloud_service__subscription=subscription, name="webset")
    for name, update_domain in (("web2", 1), ("web4", 3)):
        factories.MembershipFactory(
            availability_set=web_set,
            virtual_machine__name=name,
            virtual_machine__password_hash="!",
            fault_domain=1,
            update_domain=update_domain,
        )

    page.goto(web_set.get_absolute_url())
    expect(page.get_by_text("Spread: not in compliance.")).to_be_visible()
    commands = page.get_by_role("contentinfo", name="Command bar")
    commands.get_by_role("button", name="Rebalance").click()
    dialog = page.get_by_role("dialog", name="Rebalance availability set webset?")
    plan = dialog.get_by_role("table")
    expect(plan.get_by_role("row")).to_have_count(2)
    move = plan.get_by_role("row").nth(1)
    expect(move.get_by_role("rowheader")).to_have_text("web4")
    expect(move.get_by_role("cell")).to_have_text(
        ["Fault domain 1, update domain 3", "Fault domain 0, update domain 0"]
    )

    dialog.get_by_role("link", name="No").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_text("Spread: not in compliance.")).to_be_visible()

    commands.get_by_role("button", name="Rebalance").click()
    page.get_by_role("dialog").get_by_role("button", name="Yes").click()
    expect(page.get_by_text("Rebalancing webset: Moving virtual machine web4")).to_be_visible()
    expect(page.get_by_text("Spread: in compliance.")).to_be_visible()
    # The chain ends in the worker; the Notifications page lists what it said.
    page.goto("/notifications/")
    expect(page.get_by_role("main")).to_contain_text("web4 is Running. Rebalancing webset is complete.", timeout=20_000)
    membership = Membership.objects.get(virtual_machine__name="web4")
    assert (membership.fault_domain, membership.update_domain) == (0, 0)
