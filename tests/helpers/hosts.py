"""Libvirt-shaped hosts for fabric tests, driven by the simulated driver, and VMs placed on them."""

from __future__ import annotations

import ipaddress

from fabric.models import Host, ImageSource, Placement, Rack
from tests import factories
from vms.models import VirtualMachine


def rack(name: str = "rack-a") -> Rack:
    return Rack.objects.get_or_create(region=factories.region(), name=name)[0]


def libvirt_host(name: str, *, index: int, rack_name: str = "rack-a") -> Host:
    """A host that looks like a libvirt host to the portal (the tests open SimulatedDrivers for it)."""
    return Host.objects.create(
        rack=rack(rack_name),
        name=name,
        uri="test:///default",
        cores=64,
        memory_mb=256 * 1024,
        subnet=f"10.250.{index}.0/24",
    )


def place(vm: VirtualMachine, host: Host, *, index: int = 0) -> Placement:
    """Put a VM on a host as the deploy does: a domain name, a MAC address and an address on the host's subnet."""
    network = ipaddress.IPv4Network(host.subnet)
    return Placement.objects.create(
        virtual_machine=vm,
        host=host,
        domain_name=f"portal-{vm.pk}",
        mac_address=f"52:54:00:{(vm.pk >> 16) & 255:02x}:{(vm.pk >> 8) & 255:02x}:{vm.pk & 255:02x}",
        address=str(network.network_address + 10 + index),
    )


def image_source(vm: VirtualMachine, **fields) -> ImageSource:
    fields = fields or {"kernel": "lab-guest-vmlinuz", "initrd": "lab-guest-initrd.img", "cmdline": "ip={address}"}
    return ImageSource.objects.update_or_create(image_version=vm.image_version, defaults=fields)[0]
