"""The compliance report lists every set and fails when one is out of balance."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.factories import AvailabilitySetFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_balanced_sets_pass(capsys):
    availability_set = AvailabilitySetFactory(name="web")
    MembershipFactory(availability_set=availability_set, fault_domain=0, update_domain=0)
    MembershipFactory(availability_set=availability_set, fault_domain=1, update_domain=1)
    call_command("check_availability")
    assert "web: 2 members, balanced" in capsys.readouterr().out


def test_a_crowded_domain_fails_the_check(capsys):
    availability_set = AvailabilitySetFactory(name="db")
    for _ in range(3):
        MembershipFactory(availability_set=availability_set, fault_domain=0, update_domain=0)
    with pytest.raises(CommandError, match="1 availability set"):
        call_command("check_availability")
    assert "db: 3 members, UNBALANCED" in capsys.readouterr().out
