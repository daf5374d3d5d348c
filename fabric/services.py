"""Writes for the fabric: where a virtual machine is placed, the simulated racks and hosts of a region, and the
lab's hosts (and its guest image) registered in a region and let go."""

from __future__ import annotations

import datetime
import ipaddress
import secrets
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from fabric.drivers.libvirt import cpu_virtualizes
from fabric.lab.hosts import LabBalancer, LabHost
from fabric.models import SIMULATED_URI, Host, ImageSource, Placement, Rack
from vms.models import Image, ImageVersion, OSFamily, Region, VirtualMachine

MAC_PREFIX = "52:54:00"
SIMULATED_RACKS = 2
SIMULATED_HOSTS_PER_RACK = 2
SIMULATED_CORES = 64
SIMULATED_MEMORY_MB = 256 * 1024
LAB_IMAGE_NAME = "Lab guest (BusyBox)"
LAB_IMAGE_RELEASE = datetime.date(2024, 1, 1)
LAB_CMDLINE = "console=ttyS0 quiet portal.ip={address}/{prefix} portal.gw={gateway} portal.hostname={hostname}"


# Apps above the fabric that take up the lab's HAProxy (balancer makes it the region's load balancer): called with
# the region when the lab comes up, and with None when it goes down.
LabBalancerListener = Callable[..., None]
_lab_balancer_listeners: list[LabBalancerListener] = []


def lab_balancer_listener_register(listener: LabBalancerListener) -> LabBalancerListener:
    """Have `listener(balancer=LabBalancer, region=Region | None)` called when the lab's HAProxy starts and stops."""
    if listener not in _lab_balancer_listeners:
        _lab_balancer_listeners.append(listener)
    return listener


def lab_balancer_register(*, balancer: LabBalancer, region: Region | None) -> None:
    """Tell the listeners the lab's HAProxy now serves `region` (or, with None, that it stopped)."""
    for listener in _lab_balancer_listeners:
        listener(balancer=balancer, region=region)


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


@transaction.atomic
def lab_hosts_register(*, hosts: Iterable[LabHost], region: Region) -> list[Host]:
    """Register the lab's racks and hosts in a region, and its guest as a gallery image the hosts can boot."""
    registered = []
    sources = set()
    # The lab's hosts share this machine's CPU: without vmx or svm, /dev/kvm may exist but cannot run a guest.
    domain_type = Host.DomainType.AUTOMATIC if cpu_virtualizes() else Host.DomainType.QEMU
    for lab_host in hosts:
        rack, _ = Rack.objects.get_or_create(region=region, name=lab_host.rack)
        host = Host.objects.filter(name=lab_host.name).first() or Host(name=lab_host.name)
        host.rack = rack
        host.uri = lab_host.uri
        host.subnet = lab_host.subnet
        host.storage_pool = lab_host.pool
        host.network = lab_host.network
        host.cores = lab_host.cores
        host.memory_mb = lab_host.memory_mib
        host.domain_type = domain_type
        host.state = Host.State.AVAILABLE
        host.full_clean()
        host.save()
        registered.append(host)
        sources.add((lab_host.base_volumes["kernel"], lab_host.base_volumes["initrd"]))
    for kernel, initrd in sources:
        lab_image_register(kernel=kernel, initrd=initrd)
    return registered


def lab_image_register(*, kernel: str, initrd: str) -> ImageVersion:
    """Add the lab guest to the gallery (once), with its kernel and initrd as the hosts' image source."""
    image, _ = Image.objects.get_or_create(
        name=LAB_IMAGE_NAME,
        defaults={
            "publisher": "Classic Portal lab",
            "os_family": OSFamily.LINUX,
            "description": "A BusyBox guest that boots in seconds and answers HTTP on port 80 with its host name.",
        },
    )
    version, _ = ImageVersion.objects.get_or_create(image=image, release_date=LAB_IMAGE_RELEASE)
    source = ImageSource(image_version=version, kernel=kernel, initrd=initrd, cmdline=LAB_CMDLINE)
    existing = ImageSource.objects.filter(image_version=version).first()
    if existing is not None:
        source.pk = existing.pk
    source.full_clean(validate_unique=False)
    source.save()
    return version


@transaction.atomic
def lab_hosts_unregister(*, names: Iterable[str]) -> tuple[list[str], list[str]]:
    """Remove the stopped lab's hosts that hold no VM; mark the others unreachable. Returns (removed, unreachable)."""
    removed, unreachable = [], []
    for host in Host.objects.filter(name__in=list(names)).select_related("rack"):
        if host.placements.exists():
            host.state = Host.State.UNREACHABLE
            host.save(update_fields=["state"])
            unreachable.append(host.name)
        else:
            rack = host.rack
            host.delete()
            if not rack.hosts.exists():
                rack.delete()
            removed.append(host.name)
    return removed, unreachable
