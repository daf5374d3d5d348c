"""Reads cost a fixed number of queries however many VMs a deployment has; old request outcomes are pruned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from classic.models import ClassicRequest
from classic.periodic import prune_requests
from tests import factories

pytestmark = pytest.mark.django_db


def fill(subscription, count: int):
    service = factories.CloudServiceFactory(subscription=subscription, name="contosoweb")
    availability_set = factories.AvailabilitySetFactory(cloud_service=service)
    for index in range(count):
        vm = factories.VirtualMachineFactory(cloud_service=service, name=f"vm{index}")
        factories.MembershipFactory(
            virtual_machine=vm, availability_set=availability_set, fault_domain=index % 2, update_domain=index % 5
        )
    return service


@pytest.mark.parametrize("count", [1, 30])
def test_deployment_and_hosted_service_reads_do_not_grow_with_vms(
    client, token, subscription, count, django_assert_num_queries
):
    fill(subscription, count)
    headers = {"x-ms-version": "2014-10-01", "Authorization": f"Bearer {token}"}
    base = f"/sms/{subscription.subscription_id}/services/hostedservices"
    client.get(base, headers=headers)  # the token's first use of the minute is recorded; later ones are not

    # the token, its rate count (one limit per token for both APIs), the cloud service, its VMs with everything
    # they show, and their endpoints
    with django_assert_num_queries(5):
        deployment = client.get(f"{base}/contosoweb/deploymentslots/production", headers=headers)
    with django_assert_num_queries(5):
        detail = client.get(f"{base}/contosoweb?embed-detail=true", headers=headers)
    with django_assert_num_queries(3):
        listed = client.get(base, headers=headers)

    assert deployment.status_code == detail.status_code == listed.status_code == 200
    assert deployment.content.count(b"<RoleInstance>") == count
    assert detail.content.count(b"<Role ") == count


def test_request_outcomes_older_than_the_retention_are_dropped(subscription, settings):
    settings.CLASSIC_REQUEST_RETENTION_HOURS = 48
    old = ClassicRequest.objects.create(subscription=subscription)
    ClassicRequest.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=49))
    recent = ClassicRequest.objects.create(subscription=subscription)

    assert prune_requests() == 1
    assert list(ClassicRequest.objects.all()) == [recent]
