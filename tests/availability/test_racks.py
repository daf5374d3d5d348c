"""A set's fault domains bound to racks: the set page says which share one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from availability.models import FaultDomainRack
from availability.selectors import SharedRack, availability_set_shared_racks
from fabric.models import Rack
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_sentence_names_the_fault_domains_the_rack_and_the_region():
    assert SharedRack([0, 2], "r1", "West US").sentence == (
        "Fault domains 0 and 2 share rack r1 of West US: a failure of that rack takes both down."
    )
    assert SharedRack([0, 1, 2], "r1", "West US").sentence.endswith("takes all 3 down.")


def test_only_racks_bound_to_two_fault_domains_are_reported():
    the_set = factories.AvailabilitySetFactory(fault_domain_count=3)
    r1, r2 = Rack.objects.filter(region__name="West US").order_by("name")[:2]
    for fault_domain, rack in ((0, r1), (1, r2), (2, r1)):
        FaultDomainRack.objects.create(availability_set=the_set, fault_domain=fault_domain, rack=rack)
    assert availability_set_shared_racks(the_set) == [SharedRack([0, 2], "r1", "West US")]


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "fragment"])
def test_the_set_page_says_which_fault_domains_share_a_rack(signed_in, subscription, htmx):
    the_set = factories.AvailabilitySetFactory(cloud_service__subscription=subscription)
    factories.MembershipFactory(availability_set=the_set, fault_domain=0, update_domain=0)
    r1 = Rack.objects.get(region__name="West US", name="r1")
    url = reverse("availability:detail", args=[the_set.pk])
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    assert "share rack" not in signed_in.get(url, **headers).content.decode()
    FaultDomainRack.objects.create(availability_set=the_set, fault_domain=0, rack=r1)
    FaultDomainRack.objects.create(availability_set=the_set, fault_domain=1, rack=r1)
    html = signed_in.get(url, **headers).content.decode()
    assert ("<html" in html) is not htmx
    assert "Fault domains 0 and 1 share rack r1 of West US: a failure of that rack takes both down." in html
