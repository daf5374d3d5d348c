"""Render the libvirt XML of a portal's domain and of its volumes: pure functions over plain values, no libvirt."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # builds XML, never parses it
from dataclasses import dataclass

from fabric.drivers.base import METADATA_NAMESPACE, METADATA_PREFIX, DomainSpec

TB_CACHE_MIB = 32  # qemu's translation cache under software emulation: 222 MiB resident at the default, ~175 at 32


@dataclass(frozen=True)
class BootFiles:
    """Where a direct-boot image's kernel and initrd live on the host."""

    kernel_path: str
    initrd_path: str


def render_domain_xml(
    spec: DomainSpec,
    *,
    uuid: str,
    domain_type: str = "qemu",
    pool: str,
    overlay_volume: str = "",
    seed_volume: str = "",
    boot_files: BootFiles | None = None,
) -> str:
    """Return the domain XML for a machine: its size, its disk and seed (or direct-boot files), and its NIC."""
    domain = ET.Element("domain", type=domain_type)
    _text(domain, "name", spec.name)
    _text(domain, "uuid", uuid)
    metadata = ET.SubElement(domain, "metadata")
    ET.SubElement(
        metadata,
        f"{METADATA_PREFIX}:vm",
        {f"xmlns:{METADATA_PREFIX}": METADATA_NAMESPACE, "image": spec.image.label, "hostname": spec.hostname},
    )
    _text(domain, "memory", str(spec.memory_mib), unit="MiB")
    _text(domain, "currentMemory", str(spec.memory_mib), unit="MiB")
    _text(domain, "vcpu", str(spec.vcpus))

    os_element = ET.SubElement(domain, "os")
    _text(os_element, "type", "hvm", arch="x86_64")
    if boot_files is not None:
        _text(os_element, "kernel", boot_files.kernel_path)
        _text(os_element, "initrd", boot_files.initrd_path)
        _text(os_element, "cmdline", spec.cmdline())
    else:
        ET.SubElement(os_element, "boot", dev="hd")

    features = ET.SubElement(domain, "features")
    ET.SubElement(features, "acpi")  # without it the guest never sees the power button: no ACPI shutdown
    ET.SubElement(features, "apic")
    if domain_type == "qemu":
        tcg = ET.SubElement(features, "tcg")
        _text(tcg, "tb-cache", str(TB_CACHE_MIB), unit="MiB")

    _text(domain, "on_poweroff", "destroy")
    _text(domain, "on_reboot", "restart")
    _text(domain, "on_crash", "destroy")

    devices = ET.SubElement(domain, "devices")
    if overlay_volume:
        disk = ET.SubElement(devices, "disk", type="volume", device="disk")
        ET.SubElement(disk, "driver", name="qemu", type="qcow2")
        ET.SubElement(disk, "source", pool=pool, volume=overlay_volume)
        ET.SubElement(disk, "target", dev="vda", bus="virtio")
    if seed_volume:
        ET.SubElement(devices, "controller", type="scsi", index="0", model="virtio-scsi")
        cdrom = ET.SubElement(devices, "disk", type="volume", device="cdrom")
        ET.SubElement(cdrom, "driver", name="qemu", type="raw")
        ET.SubElement(cdrom, "source", pool=pool, volume=seed_volume)
        ET.SubElement(cdrom, "target", dev="sda", bus="scsi")
        ET.SubElement(cdrom, "readonly")
    interface = ET.SubElement(devices, "interface", type="network")
    ET.SubElement(interface, "source", network=spec.network)
    ET.SubElement(interface, "mac", address=spec.mac)
    ET.SubElement(interface, "model", type="virtio")
    serial = ET.SubElement(devices, "serial", type="pty")
    ET.SubElement(serial, "target", port="0")
    console = ET.SubElement(devices, "console", type="pty")
    ET.SubElement(console, "target", type="serial", port="0")
    return _serialize(domain)


def render_overlay_volume_xml(name: str, *, capacity_bytes: int, base_path: str, base_format: str = "qcow2") -> str:
    """Return the XML of a qcow2 copy-on-write volume over an image's base volume."""
    volume = ET.Element("volume")
    _text(volume, "name", name)
    _text(volume, "capacity", str(capacity_bytes), unit="bytes")
    target = ET.SubElement(volume, "target")
    ET.SubElement(target, "format", type="qcow2")
    backing = ET.SubElement(volume, "backingStore")
    _text(backing, "path", base_path)
    ET.SubElement(backing, "format", type=base_format)
    return _serialize(volume)


def render_seed_volume_xml(name: str, *, capacity_bytes: int) -> str:
    """Return the XML of a raw volume that will hold a cloud-init seed ISO."""
    volume = ET.Element("volume")
    _text(volume, "name", name)
    _text(volume, "capacity", str(capacity_bytes), unit="bytes")
    target = ET.SubElement(volume, "target")
    ET.SubElement(target, "format", type="raw")
    return _serialize(volume)


def _text(parent: ET.Element, tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    element.text = text
    return element


def _serialize(element: ET.Element) -> str:
    ET.indent(element)
    return ET.tostring(element, encoding="unicode") + "\n"
