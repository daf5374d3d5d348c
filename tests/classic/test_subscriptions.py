"""List Subscriptions and Get Subscription, driven through the real classic SDK."""

from __future__ import annotations

import pytest
from azure.common import AzureHttpError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from classic.models import ManagementCertificate
from tests.factories import SubscriptionFactory, UserFactory
from tests.helpers.classic import make_sdk, make_token, sdk_with_certificate

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(subscription, user):
    """The subscription with some of its quotas in use, and a second administrator who joined later."""
    user.email = "owner@contoso.com"
    user.save(update_fields=["email"])
    subscription.members.add(UserFactory(username="second"))
    subscription.__class__.objects.filter(pk=subscription.pk).update(
        core_quota=40, cores_in_use=6, cloud_service_quota=10, cloud_services_in_use=2, storage_accounts_in_use=1
    )
    subscription.refresh_from_db()
    return subscription


def test_get_subscription_answers_its_id_name_admin_quotas_and_usage(sdk, busy):
    answer = sdk.get_subscription()

    assert answer.subscription_id == str(busy.subscription_id)
    assert answer.subscription_name == busy.name
    assert answer.subscription_status == "Active"
    assert answer.account_admin_live_email_id == "owner@contoso.com"
    assert answer.service_admin_live_email_id == "owner@contoso.com"
    assert (answer.max_core_count, answer.current_core_count) == (40, 6)
    assert (answer.max_hosted_services, answer.current_hosted_services) == (10, 2)
    assert (answer.max_storage_accounts, answer.current_storage_accounts) == (busy.storage_account_quota, 1)
    assert answer.created_time.startswith(str(busy.created_at.year))


def test_list_subscriptions_with_a_token_lists_the_token_s_subscription_only(client, user, busy):
    SubscriptionFactory(members=[user], name="Another of mine")
    sdk, _ = make_sdk(client, make_token(user, busy), str(busy.subscription_id))

    listed = sdk.list_subscriptions()

    assert [(item.subscription_id, item.subscription_name) for item in listed] == [
        (str(busy.subscription_id), busy.name)
    ]
    assert (listed[0].max_core_count, listed[0].current_core_count) == (40, 6)


def test_list_subscriptions_with_a_certificate_lists_where_it_is_registered(client, user, subscription, settings):
    settings.CLASSIC_TRUSTED_PROXIES = ["127.0.0.1/32"]
    second = SubscriptionFactory(members=[user], name="A second")
    unregistered = SubscriptionFactory(members=[user], name="Unregistered")
    left = SubscriptionFactory(members=[UserFactory()], name="Left")  # its uploader no longer belongs
    for where in (subscription, second, left):
        ManagementCertificate.objects.create(
            subscription=where, uploaded_by=user, thumbprint="C" * 40, subject="CN=x", not_after="2099-01-01T00:00Z"
        )

    listed = sdk_with_certificate(client, subscription, "C" * 40).list_subscriptions()

    assert [item.subscription_name for item in listed] == sorted([subscription.name, second.name])
    assert unregistered.name not in [item.subscription_name for item in listed]


def test_list_subscriptions_costs_the_same_for_one_subscription_or_many(client, user, settings):
    settings.CLASSIC_TRUSTED_PROXIES = ["127.0.0.1/32"]

    def register(count: int) -> int:
        ManagementCertificate.objects.all().delete()
        for _ in range(count):
            where = SubscriptionFactory(members=[user, UserFactory()])
            ManagementCertificate.objects.create(
                subscription=where, uploaded_by=user, thumbprint="D" * 40, subject="CN=x", not_after="2099-01-01T00:00Z"
            )
        sdk = sdk_with_certificate(client, where, "D" * 40)
        sdk.list_subscriptions()  # the certificate's first request of the window makes its rate count's row
        with CaptureQueriesContext(connection) as queries:
            assert len(sdk.list_subscriptions()) >= count
        return len(queries)

    assert register(1) == register(8)


def test_a_token_cannot_get_another_subscription(client, user, subscription):
    other = SubscriptionFactory(members=[user])
    sdk, _ = make_sdk(client, make_token(user, subscription), str(other.subscription_id))

    with pytest.raises(AzureHttpError) as raised:
        sdk.get_subscription()
    assert raised.value.status_code == 404


def test_without_a_credential_both_are_refused(client, subscription):
    for path in ("/sms/subscriptions", f"/sms/{subscription.subscription_id}"):
        response = client.get(path, headers={"x-ms-version": "2014-10-01"})
        assert response.status_code == 403
        assert b"ForbiddenError" in response.content
