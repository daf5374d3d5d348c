"""Test helpers for the physical topology: the simulated hosts, and VMs placed on a host, in a rack or at an address."""

from __future__ import annotations

from fabric.models import Host, Placement, Rack
from fabric.services import placement_create
from vms.models import VirtualMachine


def place_on_host(vm: VirtualMachine, host: Host, *, domain_name: str = "", address: str = "") -> Placement:
    """Place the VM on this host as the portal does, with this domain name or address instead of the service's."""
    placement = placement_create(vm=vm, host_id=host.pk, subnet=host.subnet)
    if domain_name or address:
        placement.domain_name = domain_name or placement.domain_name
        placement.address = address or placement.address
        placement.save(update_fields=["domain_name", "address"])
    return placement


def place_in_rack(vm: VirtualMachine, rack_name: str) -> Placement:
    """Place the VM on a host of rack `rack_name` in its region (the rack and a host of it made when first named)."""
    rack, _ = Rack.objects.get_or_create(region=vm.cloud_service.region, name=rack_name)
    host = rack.hosts.first()
    if host is None:
        number = Host.objects.count() + 1
        host = Host.objects.create(
            rack=rack, name=f"host{number}", cores=64, memory_mb=262144, subnet=f"10.254.{number}.0/24"
        )
    return place_on_host(vm, host)


def place_at_address(vm: VirtualMachine, address: str) -> Placement:
    """Place the VM at this address on a host of its region, as the fabric does when it starts it."""
    rack, _ = Rack.objects.get_or_create(region=vm.cloud_service.region, name="rack1")
    host, _ = Host.objects.get_or_create(
        rack=rack, name="host1", defaults={"cores": 64, "memory_mb": 262144, "subnet": "10.254.128.0/24"}
    )
    return place_on_host(vm, host, address=address)


TEST_HOST_CAPACITY = {"cores": 1024, "memory_mb": 4 * 1024 * 1024}


def simulated_topology() -> None:
    """Give every region 2 racks of 2 simulated hosts, roomy enough that no test runs out of them by chance."""
    from fabric.services import topology_simulated_create_everywhere

    topology_simulated_create_everywhere(**TEST_HOST_CAPACITY)
