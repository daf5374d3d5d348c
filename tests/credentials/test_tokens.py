"""Personal API tokens: how they are made, checked, revoked, and the Settings -> API tokens page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from credentials import services
from credentials.models import ApiToken
from credentials.tokens import secret_hash, token_authenticate
from tests.factories import SubscriptionFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_token(user, subscription, **overrides):
    arguments = {"name": "deploy script", "expires_at": timezone.now() + timedelta(days=30)}
    return services.api_token_create(user=user, subscription=subscription, **(arguments | overrides))


class TestTokenCreate:
    def test_only_a_hash_of_the_secret_is_kept(self, user, subscription):
        token, raw = make_token(user, subscription)
        secret = raw.split("_", 2)[2]
        assert raw.startswith(f"cpt_{token.prefix}_")
        assert len(secret) >= 43
        stored = ApiToken.objects.get(pk=token.pk)
        assert stored.secret_hash == secret_hash(secret)
        assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())

    def test_each_token_is_different(self, user, subscription):
        raws = {make_token(user, subscription)[1] for _ in range(5)}
        assert len(raws) == 5

    def test_refuses_a_subscription_the_user_does_not_belong_to(self, user):
        with pytest.raises(ValidationError) as caught:
            make_token(user, SubscriptionFactory())
        assert caught.value.message_dict == {
            "subscription": ["You can only make a token for a subscription you belong to."]
        }
        assert not ApiToken.objects.exists()

    def test_refuses_an_expiry_in_the_past(self, user, subscription):
        with pytest.raises(ValidationError) as caught:
            make_token(user, subscription, expires_at=timezone.now() - timedelta(seconds=1))
        assert caught.value.message_dict == {"expires_at": ["Choose an expiry date in the future."]}


class TestTokenAuthenticate:
    def test_a_live_token_authenticates_and_records_its_use(self, user, subscription):
        token, raw = make_token(user, subscription)
        found = token_authenticate(raw)
        assert found == token
        assert found.user == user and found.subscription == subscription
        assert ApiToken.objects.get(pk=token.pk).last_used_at is not None

    def test_in_one_query_when_recently_used(self, user, subscription, django_assert_num_queries):
        _, raw = make_token(user, subscription)
        token_authenticate(raw)
        with django_assert_num_queries(1):
            assert token_authenticate(raw) is not None

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),
            lambda raw: raw.replace("cpt_", "xyz_"),
            lambda raw: "cpt_000000000000_" + raw.split("_", 2)[2],
            lambda raw: "",
            lambda raw: "cpt_",
            lambda raw: raw + "x" * 200,
        ],
    )
    def test_unknown_or_malformed_tokens_do_not(self, user, subscription, mangle):
        _, raw = make_token(user, subscription)
        assert token_authenticate(mangle(raw)) is None

    def test_an_expired_token_does_not(self, user, subscription):
        token, raw = make_token(user, subscription)
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert token_authenticate(raw) is None

    def test_a_revoked_token_does_not(self, user, subscription):
        token, raw = make_token(user, subscription)
        services.api_token_revoke(token=token, user=user)
        assert token_authenticate(raw) is None

    def test_a_user_who_left_the_subscription_loses_the_token(self, user, subscription):
        _, raw = make_token(user, subscription)
        subscription.members.remove(user)
        assert token_authenticate(raw) is None

    def test_a_deactivated_user_loses_the_token(self, user, subscription):
        _, raw = make_token(user, subscription)
        user.is_active = False
        user.save()
        assert token_authenticate(raw) is None


class TestTokenRevoke:
    def test_revoking_twice_keeps_the_first_time(self, user, subscription):
        token, _ = make_token(user, subscription)
        first = services.api_token_revoke(token=token, user=user).revoked_at
        assert services.api_token_revoke(token=token, user=user).revoked_at == first

    def test_someone_else_cannot_revoke(self, user, subscription):
        token, raw = make_token(user, subscription)
        with pytest.raises(ValidationError):
            services.api_token_revoke(token=token, user=UserFactory())
        assert token_authenticate(raw) is not None


class TestTokensPage:
    url = reverse("api-tokens")

    def test_page_lists_the_persons_tokens_only(self, signed_in, user, subscription):
        make_token(user, subscription, name="mine")
        other = UserFactory()
        make_token(other, SubscriptionFactory(members=[other]), name="theirs")
        response = signed_in.get(self.url)
        html = response.content.decode()
        assert response.status_code == 200 and "<html" in html
        assert "mine" in html and "theirs" not in html

    def test_fragment_with_htmx(self, signed_in):
        response = signed_in.get(self.url, headers={"HX-Request": "true"})
        assert response.status_code == 200
        assert "<html" not in response.content.decode() and 'id="api-tokens"' in response.content.decode()

    @pytest.mark.parametrize("htmx", [False, True])
    def test_create_shows_the_secret_once(self, signed_in, user, subscription, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        response = signed_in.post(
            self.url, {"name": "ci", "expires_in_days": "30", "subscription": subscription.pk}, headers=headers
        )
        html = response.content.decode()
        assert ("<html" in html) is not htmx
        raw = re.search(r'value="(cpt_[^"]+)"', html).group(1)
        token = token_authenticate(raw)
        assert token.name == "ci" and token.subscription == subscription
        assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
        assert raw not in signed_in.get(self.url).content.decode()

    def test_create_refuses_a_foreign_subscription_beside_the_field(self, signed_in):
        foreign = SubscriptionFactory()
        response = signed_in.post(self.url, {"name": "ci", "expires_in_days": "30", "subscription": foreign.pk})
        assert 'id="id_subscription_error"' in response.content.decode()
        assert not ApiToken.objects.exists()

    def test_create_asks_for_a_name(self, signed_in, subscription):
        response = signed_in.post(self.url, {"name": "", "expires_in_days": "30", "subscription": subscription.pk})
        assert "Give the token a name." in response.content.decode()
        assert not ApiToken.objects.exists()

    @pytest.mark.parametrize("htmx", [False, True])
    def test_revoke(self, signed_in, user, subscription, htmx):
        token, raw = make_token(user, subscription)
        headers = {"HX-Request": "true"} if htmx else {}
        response = signed_in.post(reverse("api-token-revoke", args=[token.pk]), headers=headers)
        if htmx:
            assert "was revoked" in response.content.decode() and "<html" not in response.content.decode()
        else:
            assert response.status_code == 302
        assert token_authenticate(raw) is None

    def test_revoking_someone_elses_token_is_not_found(self, signed_in):
        other = UserFactory()
        token, raw = make_token(other, SubscriptionFactory(members=[other]))
        response = signed_in.post(reverse("api-token-revoke", args=[token.pk]))
        assert response.status_code == 404
        assert token_authenticate(raw) is not None

    def test_signed_out_people_are_sent_to_sign_in(self, client):
        assert client.get(self.url).status_code == 302


def test_staff_revoke_tokens_from_the_admin(admin_client, user, subscription):
    token, raw = make_token(user, subscription)
    response = admin_client.post(
        reverse("admin:credentials_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    assert token_authenticate(raw) is None
