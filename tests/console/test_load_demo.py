"""load_demo gives every region simulated racks and hosts, so the demo person can deploy at once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from fabric.models import Host, Placement, Rack
from vms.models import Region

pytestmark = pytest.mark.django_db


def test_every_region_gets_2_racks_of_2_simulated_hosts_and_running_it_again_changes_nothing():
    Placement.objects.all().delete()
    Host.objects.all().delete()
    Rack.objects.all().delete()
    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())
    for region in Region.objects.all():
        assert Rack.objects.filter(region=region).count() == 2
        hosts = Host.objects.filter(rack__region=region)
        assert hosts.count() == 4 and all(host.simulated for host in hosts)
