"""Settings -> Subscriptions, and the sub-navigation the three Settings pages share."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db
PAGE = "/settings/"
SETTINGS_PAGES = ["settings-subscriptions", "api-tokens", "management-certificates"]


def meters(html: str) -> dict[str, tuple[str, str]]:
    """Each usage bar's label with its value and maximum."""
    labels = dict(re.findall(r'<label for="(usage-[^"]+)">([^<]+)</label>', html))
    return {
        labels[name]: (value, maximum)
        for name, maximum, value in re.findall(r'<meter id="([^"]+)" min="0" max="(\d+)" value="(\d+)"', html)
    }


def test_the_settings_link_opens_subscriptions_which_reaches_the_other_settings_pages(signed_in):
    shell = signed_in.get(reverse("vms:list")).content.decode()
    assert f'href="{PAGE}"' in shell and "Settings" in shell

    page = signed_in.get(PAGE).content.decode()

    assert '<h2 class="h4">Subscriptions</h2>' in page
    for name in SETTINGS_PAGES:
        assert f'href="{reverse(name)}"' in page


@pytest.mark.parametrize("name", SETTINGS_PAGES)
def test_every_settings_page_shares_one_sub_navigation_marking_itself(signed_in, name):
    page = signed_in.get(reverse(name)).content.decode()
    navigation = page[
        page.index('<nav aria-label="Settings"') : page.index("</nav>", page.index('aria-label="Settings"'))
    ]

    assert [reverse(other) for other in SETTINGS_PAGES] == re.findall(r'href="([^"]+)"', navigation)
    assert navigation.count('aria-current="page"') == 1
    assert re.search(rf'href="{reverse(name)}"[^>]*aria-current="page"', navigation)


def test_each_subscription_shows_its_id_administrators_and_usage(signed_in, user, subscription):
    user.email = "owner@contoso.com"
    user.save(update_fields=["email"])
    subscription.members.add(factories.UserFactory(username="second"))
    endpoint = factories.EndpointFactory(virtual_machine__cloud_service__subscription=subscription)
    factories.EndpointFactory(virtual_machine=endpoint.virtual_machine)
    subscription.refresh_from_db()
    other = factories.SubscriptionFactory(members=[user], name="Another")
    stranger = factories.SubscriptionFactory(members=[factories.UserFactory()], name="Not mine")

    page = signed_in.get(PAGE).content.decode()

    assert str(subscription.subscription_id) in page and str(other.subscription_id) in page
    assert str(stranger.subscription_id) not in page
    assert f"{user.username} (owner@contoso.com), second" in page
    card = page.index(f'id="subscription-{subscription.pk}"')
    usage = meters(page[card : page.index("</section>", card)])
    assert usage == {
        "Cores": (str(subscription.cores_in_use), "20"),
        "Virtual machines": ("1", "20"),
        "Cloud services": ("1", "20"),
        "Storage accounts": (str(subscription.storage_accounts_in_use), "20"),
        "Endpoints": ("2", "3000"),
    }
    assert subscription.cores_in_use > 0


def test_the_page_costs_the_same_for_one_subscription_or_many(signed_in, user, django_assert_max_num_queries):
    with django_assert_max_num_queries(8) as few:
        signed_in.get(PAGE)
    for _ in range(12):
        factories.SubscriptionFactory(members=[user, factories.UserFactory()])
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = signed_in.get(PAGE)
    assert page.content.decode().count("Subscription ID") == 13


def test_operator_text_is_for_staff_only(signed_in, user, settings):
    settings.CLASSIC_TRUSTED_PROXIES = []
    certificates = signed_in.get(reverse("management-certificates")).content.decode()
    subscriptions = signed_in.get(PAGE).content.decode()
    assert "CLASSIC_TRUSTED_PROXIES" not in certificates
    assert "Certificates are not accepted yet" in certificates
    assert "core_quota" not in subscriptions and "/admin/" not in subscriptions

    user.is_staff = True
    user.save(update_fields=["is_staff"])

    assert "CLASSIC_TRUSTED_PROXIES" in signed_in.get(reverse("management-certificates")).content.decode()
    assert "core_quota" in signed_in.get(PAGE).content.decode()
