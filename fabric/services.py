"""Writes to the fabric's records: registering the lab's hosts (and its guest image) in a region, and letting go."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction

from fabric.lab.hosts import LabHost
from fabric.models import Host, ImageSource, Rack
from vms.models import Image, ImageVersion, OSFamily, Region

LAB_IMAGE_NAME = "Lab guest (BusyBox)"
LAB_IMAGE_RELEASE = datetime.date(2024, 1, 1)
LAB_CMDLINE = "console=ttyS0 quiet portal.ip={address}/{prefix} portal.gw={gateway} portal.hostname={hostname}"


@transaction.atomic
def lab_hosts_register(*, hosts: Iterable[LabHost], region: Region) -> list[Host]:
    """Register the lab's racks and hosts in a region, and its guest as a gallery image the hosts can boot."""
    registered = []
    sources = set()
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
