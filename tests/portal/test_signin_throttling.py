"""Sign-in cannot be guessed at: failures lock out a user name or an address for a while, and staff can clear it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

LOCKED_OUT = "Too many failed sign-in attempts"


@pytest.fixture(autouse=True)
def throttling(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.CLIENT_IP_HEADER = ""


def sign_in(username: str, password: str, *, address: str = "203.0.113.7", **headers: str):
    """Post the sign-in form from a fresh browser at an address; return the response and whether it signed in."""
    client = Client(REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"username": username, "password": password}, headers=headers)
    return response, "_auth_user_id" in client.session


def fail(times: int, username: str, *, address: str = "203.0.113.7", **headers: str) -> None:
    for _ in range(times):
        _, signed_in = sign_in(username, "not-the-password", address=address, **headers)
        assert not signed_in


class TestLockoutByUser:
    def test_attempts_below_the_limit_still_sign_in(self, user, password):
        fail(4, user.username, address="198.51.100.1")
        response, signed_in = sign_in(user.username, password, address="198.51.100.2")
        assert signed_in and response.status_code == 302

    def test_the_limit_locks_the_user_name_whatever_the_address(self, user, password):
        for number in range(5):
            fail(1, user.username, address=f"198.51.100.{number + 1}")
        response, signed_in = sign_in(user.username, password, address="192.0.2.200")
        assert not signed_in
        assert response.status_code == 429

    def test_another_user_from_elsewhere_is_not_locked(self, user, password):
        fail(5, "someone-else", address="198.51.100.1")
        _, signed_in = sign_in(user.username, password, address="192.0.2.200")
        assert signed_in

    def test_the_limit_is_a_setting(self, settings, user, password):
        settings.AXES_FAILURE_LIMIT = 2
        fail(2, user.username, address="198.51.100.1")
        _, signed_in = sign_in(user.username, password, address="192.0.2.200")
        assert not signed_in


class TestLockoutByAddress:
    def test_the_limit_locks_the_address_for_every_user_name(self, user, password):
        for number in range(5):
            fail(1, f"guess{number}", address="203.0.113.50")
        response, signed_in = sign_in(user.username, password, address="203.0.113.50")
        assert not signed_in and response.status_code == 429
        _, signed_in = sign_in(user.username, password, address="203.0.113.51")
        assert signed_in

    def test_a_forwarded_header_is_ignored_unless_configured(self, user, password):
        for number in range(5):
            fail(1, f"guess{number}", address="203.0.113.50", x_forwarded_for=f"192.0.2.{number}")
        _, signed_in = sign_in(user.username, password, address="203.0.113.50", x_forwarded_for="192.0.2.99")
        assert not signed_in

    def test_behind_a_proxy_the_configured_header_names_the_client(self, settings, user, password):
        settings.CLIENT_IP_HEADER = "X-Forwarded-For"
        # Everyone arrives from the proxy's address; the proxy appends the client's own address last.
        for number in range(5):
            fail(1, f"guess{number}", address="10.0.0.1", x_forwarded_for=f"192.0.2.{number}, 198.51.100.9")
        _, signed_in = sign_in(user.username, password, address="10.0.0.1", x_forwarded_for="198.51.100.9")
        assert not signed_in
        _, signed_in = sign_in(user.username, password, address="10.0.0.1", x_forwarded_for="198.51.100.10")
        assert signed_in


class TestTheLockoutMessage:
    def test_the_sign_in_form_says_why_and_for_how_long(self, user, password):
        fail(5, user.username)
        response, _ = sign_in(user.username, password)
        html = response.content.decode()
        assert response.templates[0].name == "registration/login.html"
        assert f"{LOCKED_OUT}. Sign-in is refused for 15 minutes" in html
        assert 'role="alert"' in html and 'name="password"' in html
        assert f'value="{user.username}"' in html

    def test_wrong_passwords_before_the_limit_get_the_usual_message(self, user):
        response, _ = sign_in(user.username, "not-the-password")
        assert response.status_code == 200
        assert LOCKED_OUT not in response.content.decode()


class TestCoolOff:
    def test_sign_in_works_again_once_the_cool_off_has_passed(self, user, password):
        fail(5, user.username)
        _, signed_in = sign_in(user.username, password)
        assert not signed_in
        AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16))
        _, signed_in = sign_in(user.username, password)
        assert signed_in

    def test_still_refused_before_the_cool_off_has_passed(self, user, password):
        fail(5, user.username)
        AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=14))
        _, signed_in = sign_in(user.username, password)
        assert not signed_in


class TestStaffClearLockouts:
    def test_staff_see_the_lockout_and_clearing_it_lets_the_person_in(self, admin_client, user, password):
        fail(5, user.username)
        changelist = reverse("admin:axes_accessattempt_changelist")
        page = admin_client.get(changelist)
        assert page.status_code == 200 and user.username in page.content.decode()
        attempt = AccessAttempt.objects.get(username=user.username)
        response = admin_client.post(
            changelist, {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"}
        )
        assert response.status_code == 302
        assert not AccessAttempt.objects.exists()
        _, signed_in = sign_in(user.username, password)
        assert signed_in

    def test_people_who_are_not_staff_cannot_see_lockouts(self, signed_in):
        response = signed_in.get(reverse("admin:axes_accessattempt_changelist"))
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_the_admin_sign_in_is_throttled_too(user, password):
    staff = factories.UserFactory(username="staffer", is_staff=True, is_superuser=True)
    for _ in range(5):
        Client(REMOTE_ADDR="198.51.100.77").post(
            reverse("admin:login"), {"username": staff.username, "password": "not-the-password"}
        )
    client = Client(REMOTE_ADDR="192.0.2.1")
    client.post(reverse("admin:login"), {"username": staff.username, "password": password})
    assert "_auth_user_id" not in client.session
