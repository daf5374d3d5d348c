"""The Monitor tab as a person uses it: charts drawn under the Content-Security-Policy, ranges, tables, axe."""

from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from monitor.sampling import monitor_sample_round
from tests.helpers.axe import assert_accessible, sign_in


def test_the_monitor_tab_draws_its_charts_and_reads_them_out(axe_page: Page, user, portal_data):
    page = axe_page
    vm = portal_data.virtual_machine
    now = timezone.now()
    for minute in range(30, 0, -1):
        monitor_sample_round(now=now - timedelta(minutes=minute))
    blocked = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )
    sign_in(page, user)
    page.goto(reverse("vms:dashboard", args=[vm.pk]))
    expect(page.locator(".portal-chart-small .uplot")).to_be_visible()
    page.get_by_role("link", name="Monitor", exact=True).click()
    expect(page).to_have_url(f"{reverse('vms:monitor', args=[vm.pk])}")
    expect(page.locator(".portal-chart .uplot")).to_have_count(3)
    page.get_by_text("CPU percentage as a table").click()
    expect(page.get_by_role("table", name="CPU percentage")).to_be_visible()
    assert_accessible(page, "Monitor tab")
    page.get_by_role("link", name="24 hours").click()
    expect(page.get_by_role("link", name="24 hours")).to_have_attribute("aria-current", "true")
    expect(page.locator(".portal-chart .uplot")).to_have_count(3)
    assert_accessible(page, "Monitor tab, 24 hours")
    page.goto(reverse("availability:detail", args=[portal_data.availability_set.pk]))
    expect(page.get_by_role("img", name=re.compile("CPU over the last hour"))).to_be_visible()
    assert_accessible(page, "set page with sparklines")
    assert blocked == []
