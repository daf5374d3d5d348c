"""Writes for the fabric: where a virtual machine is placed, and the simulated racks and hosts of a region."""

from __future__ import annotations

import ipaddress
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from fabric.models import SIMULATED_URI, Host, Placement, Rack
from vms.models import Region, VirtualMachine

MAC_PREFIX = "52:54:00"
SIMULATED_RACKS = 2
SIMULATED_HOSTS_PER_RACK = 2
SIMULATED_CORES = 64
SIMULATED_MEMORY_MB = 256 * 1024


def region_lock(*, region_id: int) -> Region:
    """Lock a region's row so that deploys placing VMs in it take turns reading its hosts' free room."""
    return Region.objects.select_for_update().get(pk=region_id)


def mac_address_for(vm: VirtualMachine) -> str:
    """Return a locally administered MAC of QEMU's range (52:54:00) for the VM, free among the placements."""
    candidate = _mac(vm.pk & 0xFFFFFF)
    while Placement.objects.filter(mac_address=candidate).exists():
        candidate = _mac(secrets.randbits(24))
    return candidate


def _mac(value: int) -> str:
    return f"{MAC_PREFIX}:{value >> 16 & 0xFF:02x}:{value >> 8 & 0xFF:02x}:{value & 0xFF:02x}"


def address_free_on(*, host_id: int, subnet: str) -> str:
    """Return the lowest address of the host's subnet after the gateway (its first address) that no VM holds."""
    network = ipaddress.IPv4Network(subnet)
    addresses_held = Placement.objects.filter(host_id=host_id).values_list("address", flat=True)
    taken = {ipaddress.IPv4Address(address) for address in addresses_held}
    addresses = network.hosts()
    next(addresses)  # the gateway
    for address in addresses:
        if address not in taken:
            return str(address)
    raise ValidationError(f"The host's network {subnet} has no free address left.", code="no_address")


@transaction.atomic(savepoint=False)
def placement_create(*, vm: VirtualMachine, host_id: int, subnet: str) -> Placement:
    """Place a VM on the host the caller chose (its id and guest network): domain name, MAC and lowest free address."""
    placement = Placement(
        virtual_machine=vm,
        host_id=host_id,
        domain_name=f"vm-{vm.pk}",
        mac_address=mac_address_for(vm),
        address=address_free_on(host_id=host_id, subnet=subnet),
    )
    placement.full_clean(exclude=["virtual_machine", "host"], validate_unique=False, validate_constraints=False)
    placement.save()
    return placement


@transaction.atomic
def topology_simulated_create(
    *,
    region: Region,
    racks: int = SIMULATED_RACKS,
    hosts_per_rack: int = SIMULATED_HOSTS_PER_RACK,
    cores: int = SIMULATED_CORES,
    memory_mb: int = SIMULATED_MEMORY_MB,
) -> list[Host]:
    """Give a region simulated racks and hosts (r1, r2, ... each with hosts), keeping any that already exist.

    Host names carry the region's (west-us-r1-h1); each host's guests get a /24 of 10.(100 + region).(host).0.
    """
    hosts = []
    slug = slugify(region.name)
    for rack_number in range(1, racks + 1):
        rack, _ = Rack.objects.get_or_create(region=region, name=f"r{rack_number}")
        for host_number in range(1, hosts_per_rack + 1):
            index = (rack_number - 1) * hosts_per_rack + host_number
            host, _ = Host.objects.get_or_create(
                name=f"{slug}-r{rack_number}-h{host_number}",
                defaults={
                    "rack": rack,
                    "uri": SIMULATED_URI,
                    "cores": cores,
                    "memory_mb": memory_mb,
                    "subnet": f"10.{100 + region.pk % 100}.{index % 256}.0/24",
                },
            )
            hosts.append(host)
    return hosts


def topology_simulated_create_everywhere(**capacity: int) -> list[Host]:
    """Give every region the simulated racks and hosts of topology_simulated_create."""
    return [host for region in Region.objects.all() for host in topology_simulated_create(region=region, **capacity)]
