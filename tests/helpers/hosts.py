"""Libvirt-shaped hosts for fabric tests, driven by the simulated driver, and the image sources their guests boot."""

from __future__ import annotations

from fabric.models import Host, ImageSource, Rack
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


def image_source(vm: VirtualMachine, **fields) -> ImageSource:
    fields = fields or {"kernel": "lab-guest-vmlinuz", "initrd": "lab-guest-initrd.img", "cmdline": "ip={address}"}
    return ImageSource.objects.update_or_create(image_version=vm.image_version, defaults=fields)[0]
