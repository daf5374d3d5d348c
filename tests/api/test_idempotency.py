"""Idempotency-Key on creates: the same key and request replay the first answer; another request is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from api.idempotency import idempotency_keys_prune, request_fingerprint
from api.models import ApiIdempotentRequest
from api.periodic import prune_idempotency_keys
from credentials.periodic import prune_rate_counts
from portal.periodic import periodic_jobs
from tests.factories import STRONG_PASSWORD, image_version
from tests.helpers.api import ApiClient, make_raw_token
from vms.models import AffinityGroup, VirtualMachine

pytestmark = pytest.mark.django_db


def vm_body(**overrides) -> dict:
    return {
        "image": image_version().image_id,
        "name": "web1",
        "admin_username": "portaladmin",
        "admin_password": STRONG_PASSWORD,
        "size": "Small",
        "dns_name": "contosoweb",
        "region": "West US",
    } | overrides


def test_repeating_a_vm_create_returns_the_first_answer_and_makes_no_second_vm(api):
    key = {"Idempotency-Key": "create-web1-7f3a"}
    first = api.post("virtual-machines", vm_body(), headers=key)
    again = api.post("virtual-machines", vm_body(), headers=key)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert VirtualMachine.objects.count() == 1


def test_the_same_body_in_another_order_and_spacing_is_the_same_request():
    one = request_fingerprint("POST", "/api/v1/x", b'{"a": 1, "b": [1, 2]}')
    other = request_fingerprint("POST", "/api/v1/x", b'{"b":[1,2],"a":1}')
    assert one == other
    assert one != request_fingerprint("POST", "/api/v1/y", b'{"a": 1, "b": [1, 2]}')


def test_a_different_body_with_the_same_key_is_refused(api):
    key = {"Idempotency-Key": "k1"}
    assert api.post("affinity-groups", {"name": "g1", "region": "West US"}, headers=key).status_code == 201
    response = api.post("affinity-groups", {"name": "g2", "region": "West US"}, headers=key)
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in response.json()["fields"]
    assert list(AffinityGroup.objects.values_list("name", flat=True)) == ["g1"]


def test_without_a_key_a_repeat_is_a_new_request(api):
    assert api.post("affinity-groups", {"name": "g1", "region": "West US"}).status_code == 201
    response = api.post("affinity-groups", {"name": "g1", "region": "West US"})
    assert response.status_code == 409
    assert response.json()["fields"]["name"] == ["This subscription already has an affinity group named g1."]


def test_a_refused_create_keeps_no_key_so_a_corrected_retry_runs(api):
    key = {"Idempotency-Key": "k2"}
    assert api.post("affinity-groups", {"name": "g1", "region": "Mars"}, headers=key).status_code == 400
    assert not ApiIdempotentRequest.objects.exists()
    assert api.post("affinity-groups", {"name": "g1", "region": "West US"}, headers=key).status_code == 201


def test_keys_belong_to_one_token(api, user, subscription):
    key = {"Idempotency-Key": "shared"}
    assert api.post("affinity-groups", {"name": "g1", "region": "West US"}, headers=key).status_code == 201
    other = ApiClient(make_raw_token(user, subscription))
    response = other.post("affinity-groups", {"name": "g2", "region": "West US"}, headers=key)
    assert response.status_code == 201 and "Idempotent-Replayed" not in response


@pytest.mark.parametrize("key", ["", "x" * 256, "with space"])
def test_a_malformed_key_is_refused(api, key):
    response = api.post("affinity-groups", {"name": "g1", "region": "West US"}, headers={"Idempotency-Key": key})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["fields"]
    assert not AffinityGroup.objects.exists()


def test_old_keys_are_forgotten(api, settings):
    api.post("affinity-groups", {"name": "g1", "region": "West US"}, headers={"Idempotency-Key": "old"})
    api.post("affinity-groups", {"name": "g2", "region": "West US"}, headers={"Idempotency-Key": "new"})
    ApiIdempotentRequest.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_prune() == 1
    assert list(ApiIdempotentRequest.objects.values_list("key", flat=True)) == ["new"]


def test_the_worker_schedules_the_api_housekeeping():
    jobs = {job.name: job.function for job in periodic_jobs()}
    assert jobs["api.prune_idempotency_keys"] is prune_idempotency_keys
    assert jobs["credentials.prune_rate_counts"] is prune_rate_counts
