"""Test helpers for the physical topology: the simulated racks and hosts, and placements made directly."""

from __future__ import annotations

from fabric.models import Host, Placement, Rack
from vms.models import VirtualMachine


def place(vm: VirtualMachine, rack_name: str) -> Placement:
    """Place the VM on a host of rack `rack_name` in its region (the rack and a host of it made when first named)."""
    rack, _ = Rack.objects.get_or_create(region=vm.cloud_service.region, name=rack_name)
    host = rack.hosts.first()
    if host is None:
        number = Host.objects.count() + 1
        host = Host.objects.create(
            rack=rack, name=f"host{number}", cores=64, memory_mb=262144, subnet=f"10.254.{number}.0/24"
        )
    index = host.placements.count() + 2
    octets = host.subnet.split(".")
    return Placement.objects.create(
        virtual_machine=vm,
        host=host,
        domain_name=f"vm-{vm.pk}",
        mac_address=f"52:54:00:{host.pk % 256:02x}:{index // 256:02x}:{index % 256:02x}",
        address=f"{octets[0]}.{octets[1]}.{octets[2]}.{index}",
    )


TEST_HOST_CAPACITY = {"cores": 1024, "memory_mb": 4 * 1024 * 1024}


def simulated_topology() -> None:
    """Give every region 2 racks of 2 simulated hosts, roomy enough that no test runs out of them by chance."""
    from fabric.services import topology_simulated_create_everywhere

    topology_simulated_create_everywhere(**TEST_HOST_CAPACITY)
