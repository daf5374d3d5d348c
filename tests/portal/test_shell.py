"""Signing in, the subscriptions a person sees, and the subscription selector."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from portal.middleware import SESSION_KEY
from tests import factories

pytestmark = pytest.mark.django_db


class TestSignIn:
    def test_sign_in_page_has_labelled_fields(self, client):
        html = client.get(reverse("login")).content.decode()
        assert ">User name</label>" in html and ">Password</label>" in html

    def test_signing_in_lands_on_virtual_machines(self, client, user, password):
        response = client.post(reverse("login"), {"username": user.username, "password": password})
        assert response.status_code == 302 and response["Location"] == reverse("vms:list")

    def test_wrong_password_is_refused(self, client, user):
        response = client.post(reverse("login"), {"username": user.username, "password": "wrong"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session

    def test_signing_in_returns_to_the_page_asked_for(self, client, user, password):
        response = client.get(reverse("vms:storage"))
        assert response["Location"] == f"{reverse('login')}?next={reverse('vms:storage')}"
        response = client.post(
            reverse("login"), {"username": user.username, "password": password, "next": reverse("vms:storage")}
        )
        assert response["Location"] == reverse("vms:storage")

    def test_signing_out_needs_a_post_and_ends_the_session(self, signed_in):
        response = signed_in.post(reverse("logout"))
        assert response.status_code == 302 and response["Location"] == reverse("login")
        assert signed_in.get(reverse("vms:list")).status_code == 302

    def test_home_goes_to_virtual_machines(self, signed_in):
        assert signed_in.get(reverse("home"))["Location"] == reverse("vms:list")


class TestNavigation:
    def test_left_navigation_links_the_four_services(self, signed_in):
        html = signed_in.get(reverse("vms:list")).content.decode()
        for name, text in [
            ("vms:list", "Virtual Machines"),
            ("vms:cloud-services", "Cloud Services"),
            ("vms:storage", "Storage"),
            ("vms:networks", "Networks"),
        ]:
            assert f'href="{reverse(name)}"' in html and f'aria-hidden="true"></i> {text}</a>' in html

    def test_admin_link_only_for_staff(self, signed_in, user):
        assert 'href="/admin/"' not in signed_in.get(reverse("vms:list")).content.decode()
        user.is_staff = True
        user.save()
        assert 'href="/admin/"' in signed_in.get(reverse("vms:list")).content.decode()


class TestSubscriptionSelector:
    @pytest.fixture
    def second(self, user):
        return factories.SubscriptionFactory(name="Visual Studio subscription", members=[user])

    def test_one_subscription_shows_its_name_without_a_selector(self, signed_in, subscription):
        html = signed_in.get(reverse("vms:list")).content.decode()
        assert subscription.name in html and 'id="subscription-select"' not in html

    def test_several_subscriptions_show_a_selector_of_only_ones_own(self, signed_in, subscription, second):
        factories.SubscriptionFactory(name="Not mine")
        html = signed_in.get(reverse("vms:list")).content.decode()
        assert '<label for="subscription-select"' in html
        assert f'<option value="{subscription.pk}" selected>{subscription.name}</option>' in html
        assert f'<option value="{second.pk}">Visual Studio subscription</option>' in html
        assert "Not mine" not in html

    def test_switching_shows_the_other_subscriptions_objects(self, signed_in, subscription, second):
        factories.VirtualMachineFactory(cloud_service__subscription=subscription, name="firstvm")
        factories.VirtualMachineFactory(cloud_service__subscription=second, name="secondvm")
        assert "firstvm" in signed_in.get(reverse("vms:list")).content.decode()
        response = signed_in.post(
            reverse("subscription-switch"), {"subscription": second.pk, "next": reverse("vms:list")}
        )
        assert response.status_code == 302 and response["Location"] == reverse("vms:list")
        assert signed_in.session[SESSION_KEY] == second.pk
        html = signed_in.get(reverse("vms:list")).content.decode()
        assert "secondvm" in html and "firstvm" not in html
        assert f'<option value="{second.pk}" selected>' in html

    def test_switching_to_a_subscription_one_does_not_belong_to_is_refused(self, signed_in, subscription, second):
        foreign = factories.SubscriptionFactory()
        factories.VirtualMachineFactory(cloud_service__subscription=foreign, name="foreignvm")
        response = signed_in.post(reverse("subscription-switch"), {"subscription": foreign.pk, "next": "/"})
        assert response.status_code == 404
        assert SESSION_KEY not in signed_in.session
        assert "foreignvm" not in signed_in.get(reverse("vms:list")).content.decode()

    def test_switching_never_redirects_off_site(self, signed_in, second):
        response = signed_in.post(
            reverse("subscription-switch"), {"subscription": second.pk, "next": "https://evil.example/"}
        )
        assert response["Location"] == "/"

    def test_switching_needs_a_post(self, signed_in, second):
        assert signed_in.get(reverse("subscription-switch"), {"subscription": second.pk}).status_code == 405

    def test_a_session_choice_one_lost_access_to_falls_back_to_ones_own(self, signed_in, subscription, second, user):
        signed_in.post(reverse("subscription-switch"), {"subscription": second.pk, "next": "/"})
        second.members.remove(user)
        factories.VirtualMachineFactory(cloud_service__subscription=second, name="secondvm")
        html = signed_in.get(reverse("vms:list")).content.decode()
        assert "secondvm" not in html and subscription.name in html


def test_person_without_subscription_sees_a_page_saying_so(client, user):
    client.force_login(user)
    response = client.get(reverse("vms:list"))
    html = response.content.decode()
    assert '<h1 class="page-title">No subscription</h1>' in html
    assert "Ask an administrator to add you to a subscription" in html


class TestShellParts:
    def test_a_skip_link_leads_to_the_main_content(self, signed_in):
        html = signed_in.get(reverse("vms:list")).content.decode()
        body = html[html.index("<body") :]
        first_link = body[body.index("<a ") : body.index("</a>")]
        assert 'href="#main"' in first_link and "Skip to main content" in first_link
        assert '<main class="portal-main" id="main" tabindex="-1">' in html

    def test_the_favicon_and_the_icon_set_are_served_from_static(self, signed_in):
        html = signed_in.get(reverse("vms:list")).content.decode()
        assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
        assert 'href="/static/vendor/bootstrap-icons/bootstrap-icons.min.css"' in html
        static = settings.BASE_DIR / "static"
        assert (static / "favicon.svg").read_text().startswith("<svg")
        assert (static / "vendor" / "bootstrap-icons" / "LICENSE").exists()
        assert (static / "vendor" / "bootstrap-icons" / "fonts" / "bootstrap-icons.woff2").exists()
        assert "cdn" not in html.lower()

    def test_page_titles_alone_are_lowercased_names_keep_their_case(self):
        css = (settings.BASE_DIR / "static" / "css" / "portal.css").read_text()
        lowercased = [line for line in css.splitlines() if "text-transform: lowercase" in line]
        assert lowercased == [".portal-main h1.page-title { text-transform: lowercase; }"]

    def test_sqlite_side_files_are_ignored_by_git(self):
        ignored = (settings.BASE_DIR / ".gitignore").read_text().splitlines()
        assert {"*.sqlite3-wal", "*.sqlite3-shm"} <= set(ignored)


def test_switching_subscription_with_a_next_that_is_no_path_goes_home(signed_in, user, subscription):
    from django.urls import reverse

    for next_url in ("0", "vms:list", "https://evil.example/", "//evil.example/"):
        response = signed_in.post(reverse("subscription-switch"), {"subscription": subscription.pk, "next": next_url})
        assert response.status_code == 302 and response["Location"] == "/", next_url


def test_the_browsers_favicon_request_finds_the_portals_icon(client):
    """Pages without an icon link (the admin's) make the browser ask for /favicon.ico: it leads to the portal's icon."""
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
