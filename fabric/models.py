"""The physical topology behind the portal: racks (fault domains: power and switch) and the hosts in them.

A host's URI picks its driver: ``simulated`` plays the platform in the worker with no hypervisor at all; any other
value is a libvirt URI (``qemu:///system``, ``qemu+ssh://root@host/system``, ``qemu+tls://host/system``,
``qemu+unix:///system?socket=...``, ``test:///default``).
"""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from fabric.drivers.base import ImageSource as BootSource
from portal.validators import validate_visible_name
from vms.models import ImageVersion, Region, VirtualMachine

SIMULATED_URI = "simulated"


def validate_host_uri(value: str) -> None:
    """Accept ``simulated`` or something shaped like a libvirt URI (``driver[+transport]://...``)."""
    if value == SIMULATED_URI:
        return
    scheme, separator, _rest = value.partition("://")
    if not separator or not scheme or not all(part.isalnum() for part in scheme.split("+")):
        raise ValidationError(
            "Enter simulated, or a libvirt URI such as qemu:///system or qemu+ssh://root@host/system.", code="invalid"
        )


def validate_subnet(value: str) -> None:
    """Accept an IPv4 network in CIDR form with room for a gateway and guests (a /30 or larger)."""
    try:
        network = ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise ValidationError("Enter an IPv4 network such as 10.254.1.0/24.", code="invalid") from None
    if network.prefixlen > 30:
        raise ValidationError("The network needs room for a gateway and guests: /30 or larger.", code="too_small")


class Rack(models.Model):
    """A fault domain of a region: the hosts that share its power and its switch go down together."""

    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="racks")
    name = models.CharField(max_length=64, validators=[validate_visible_name])

    class Meta:
        ordering = ["region__display_order", "region__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "name"],
                name="rack_name_unique_in_region",
                violation_error_message="A rack with this name already exists in this region.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.region})"


class Host(models.Model):
    """A machine in a rack that runs virtual machines through its driver."""

    class DomainType(models.TextChoices):
        AUTOMATIC = "", "Automatic"
        KVM = "kvm", "KVM (hardware virtualization)"
        QEMU = "qemu", "QEMU (software emulation)"

    class State(models.TextChoices):
        AVAILABLE = "available", "Available"
        MAINTENANCE = "maintenance", "Maintenance"
        UNREACHABLE = "unreachable", "Unreachable"

    rack = models.ForeignKey(Rack, on_delete=models.PROTECT, related_name="hosts")
    name = models.CharField(max_length=64, unique=True, validators=[validate_visible_name])
    uri = models.CharField(
        "URI",
        max_length=500,
        default=SIMULATED_URI,
        validators=[validate_host_uri],
        help_text="simulated, or the libvirt URI the worker connects to (qemu+ssh://root@host/system).",
    )
    cores = models.PositiveSmallIntegerField(help_text="Cores the host offers to virtual machines.")
    memory_mb = models.PositiveIntegerField("Memory (MB)", help_text="Memory the host offers to virtual machines.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.AVAILABLE)
    last_seen = models.DateTimeField(null=True, blank=True)
    storage_pool = models.CharField(
        max_length=100, default="default", help_text="The libvirt storage pool holding the images' base volumes."
    )
    network = models.CharField(
        max_length=100, default="default", help_text="The libvirt network the virtual machines' NICs join."
    )
    domain_type = models.CharField(
        max_length=8,
        blank=True,
        default=DomainType.AUTOMATIC,
        choices=DomainType.choices,
        help_text="How the host runs guests. Automatic: kvm when libvirt offers it (and, for a host on the portal's "
        "own machine, the CPU has vmx or svm), else qemu. Set qemu for a host whose /dev/kvm cannot run guests.",
    )
    subnet = models.CharField(
        max_length=18,
        validators=[validate_subnet],
        help_text="The guests' IPv4 network on this host; its first address is the gateway.",
    )
    maintenance_command = models.CharField(
        max_length=1000,
        blank=True,
        help_text="What host maintenance runs on the worker while the host's VMs are down, such as "
        "ssh root@host 'apt-get -y upgrade && systemctl reboot'; empty: nothing is run.",
    )
    maintenance_timeout_seconds = models.PositiveIntegerField(
        "Maintenance time limit (seconds)",
        default=900,
        help_text="How long the maintenance command and the wait for the host to answer again may take.",
    )

    class Meta:
        ordering = ["rack__region__display_order", "rack__name", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(cores__gte=1), name="host_has_cores"),
            models.CheckConstraint(condition=Q(memory_mb__gte=1), name="host_has_memory"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def simulated(self) -> bool:
        return self.uri == SIMULATED_URI


class Placement(models.Model):
    """Where a virtual machine lives: its host, its domain there, and its address on the host's network."""

    virtual_machine = models.OneToOneField(VirtualMachine, on_delete=models.CASCADE, related_name="placement")
    host = models.ForeignKey(Host, on_delete=models.PROTECT, related_name="placements")
    domain_name = models.CharField(max_length=100)
    mac_address = models.CharField(max_length=17, unique=True)
    address = models.GenericIPAddressField(protocol="IPv4")
    observed_state = models.CharField(max_length=16, blank=True, help_text="The state the host last reported.")
    observed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["host", "domain_name"], name="placement_domain_unique_on_host"),
            models.UniqueConstraint(fields=["host", "address"], name="placement_address_unique_on_host"),
        ]

    def __str__(self) -> str:
        return f"{self.domain_name} on {self.host}"


class HostLease(models.Model):
    """Which worker drives a host now: one at a time, taken over by another when its heartbeat lapses."""

    host = models.OneToOneField(Host, on_delete=models.CASCADE, primary_key=True, related_name="lease")
    worker_id = models.CharField(max_length=128)
    heartbeat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.host} driven by {self.worker_id}"


class ImageSource(models.Model):
    """Where the hosts find a gallery image version: a base disk volume, or a kernel and an initrd booted directly.

    The names are volumes of each host's storage pool; a host without them fails the create and says which is missing.
    """

    image_version = models.OneToOneField(ImageVersion, on_delete=models.CASCADE, related_name="fabric_source")
    volume = models.CharField(max_length=200, blank=True, help_text="The base disk volume (qcow2 or raw).")
    kernel = models.CharField(max_length=200, blank=True, help_text="The kernel volume of a direct-boot image.")
    initrd = models.CharField(max_length=200, blank=True, help_text="The initrd volume of a direct-boot image.")
    cmdline = models.CharField(
        max_length=500,
        blank=True,
        help_text="The kernel command line of a direct-boot image; it may name {name}, {hostname}, {address}, "
        "{prefix}, {gateway} and {mac}.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(volume="") & ~Q(kernel="") & ~Q(initrd=""))
                | (~Q(volume="") & Q(kernel="") & Q(initrd="")),
                name="image_source_disk_or_direct_boot",
                violation_error_message="An image is either a base volume or a kernel with an initrd.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.image_version}: {self.volume or self.kernel}"

    def boot_source(self) -> BootSource:
        """Return the source as the drivers take it."""
        if self.volume:
            return BootSource.disk(self.volume)
        return BootSource.direct_boot(kernel=self.kernel, initrd=self.initrd, cmdline=self.cmdline)
