"""Placing a VM on a host: its address is the lowest free one after the gateway, its MAC is QEMU's and unique."""

from __future__ import annotations

import pytest

from fabric.models import Host
from fabric.services import placement_create
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_freed_address_is_given_again_before_higher_ones():
    host = Host.objects.get(name="west-us-r1-h1")
    vms = factories.VirtualMachineFactory.create_batch(3)
    placements = [placement_create(vm=vm, host_id=host.pk, subnet=host.subnet) for vm in vms]
    prefix = host.subnet.rsplit(".", 1)[0]
    assert [placement.address for placement in placements] == [f"{prefix}.2", f"{prefix}.3", f"{prefix}.4"]
    vms[0].delete()
    again = placement_create(vm=factories.VirtualMachineFactory(), host_id=host.pk, subnet=host.subnet)
    assert again.address == f"{prefix}.2"
    macs = [placement.mac_address for placement in (*placements, again)]
    assert len(set(macs)) == 4 and all(mac.startswith("52:54:00:") for mac in macs)
