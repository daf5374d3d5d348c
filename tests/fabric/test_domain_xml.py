"""The domain and volume XML the libvirt driver sends to a host, rendered by pure functions."""

from __future__ import annotations

import pytest

from fabric.domain_xml import BootFiles, render_domain_xml, render_overlay_volume_xml, render_seed_volume_xml
from fabric.drivers.base import DriverError, ImageSource
from tests.helpers.drivers import domain_spec

UUID = "6f1c7a8e-0d2b-4c1e-9a3f-2b5d8e7c9a10"
TINY = ImageSource.direct_boot(
    kernel="tiny-vmlinuz",
    initrd="tiny-initrd.gz",
    cmdline="portal.ip={address}/{prefix} portal.gw={gateway} portal.hostname={hostname} console=ttyS0",
)


DIRECT_BOOT_XML = """\
<domain type="qemu">
  <name>web1</name>
  <uuid>6f1c7a8e-0d2b-4c1e-9a3f-2b5d8e7c9a10</uuid>
  <metadata>
    <portal:vm xmlns:portal="urn:x-classic-portal:vm:1" image="tiny-vmlinuz" hostname="web1" />
  </metadata>
  <memory unit="MiB">96</memory>
  <currentMemory unit="MiB">96</currentMemory>
  <vcpu>2</vcpu>
  <os>
    <type arch="x86_64">hvm</type>
    <kernel>/var/lib/libvirt/images/tiny-vmlinuz</kernel>
    <initrd>/var/lib/libvirt/images/tiny-initrd.gz</initrd>
    <cmdline>portal.ip=10.20.1.4/24 portal.gw=10.20.1.1 portal.hostname=web1 console=ttyS0</cmdline>
  </os>
  <features>
    <acpi />
    <apic />
    <tcg>
      <tb-cache unit="MiB">32</tb-cache>
    </tcg>
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <interface type="network">
      <source network="fabric-h1" />
      <mac address="52:54:00:0a:00:04" />
      <model type="virtio" />
    </interface>
    <serial type="pty">
      <target port="0" />
    </serial>
    <console type="pty">
      <target type="serial" port="0" />
    </console>
  </devices>
</domain>
"""

DISK_XML = """\
<domain type="kvm">
  <name>db1</name>
  <uuid>6f1c7a8e-0d2b-4c1e-9a3f-2b5d8e7c9a10</uuid>
  <metadata>
    <portal:vm xmlns:portal="urn:x-classic-portal:vm:1" image="debian-12.qcow2" hostname="db1" />
  </metadata>
  <memory unit="MiB">1792</memory>
  <currentMemory unit="MiB">1792</currentMemory>
  <vcpu>1</vcpu>
  <os>
    <type arch="x86_64">hvm</type>
    <boot dev="hd" />
  </os>
  <features>
    <acpi />
    <apic />
  </features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <disk type="volume" device="disk">
      <driver name="qemu" type="qcow2" />
      <source pool="default" volume="db1.qcow2" />
      <target dev="vda" bus="virtio" />
    </disk>
    <controller type="scsi" index="0" model="virtio-scsi" />
    <disk type="volume" device="cdrom">
      <driver name="qemu" type="raw" />
      <source pool="default" volume="db1-cidata.iso" />
      <target dev="sda" bus="scsi" />
      <readonly />
    </disk>
    <interface type="network">
      <source network="fabric-h1" />
      <mac address="52:54:00:0a:00:05" />
      <model type="virtio" />
    </interface>
    <serial type="pty">
      <target port="0" />
    </serial>
    <console type="pty">
      <target type="serial" port="0" />
    </console>
  </devices>
</domain>
"""


def test_a_direct_boot_guest_under_software_emulation():
    xml = render_domain_xml(
        domain_spec("web1", image=TINY, vcpus=2, network="fabric-h1", mac="52:54:00:0a:00:04"),
        uuid=UUID,
        pool="default",
        boot_files=BootFiles(
            kernel_path="/var/lib/libvirt/images/tiny-vmlinuz", initrd_path="/var/lib/libvirt/images/tiny-initrd.gz"
        ),
    )
    assert xml == DIRECT_BOOT_XML


def test_a_disk_image_guest_boots_its_overlay_with_the_seed_as_a_cdrom_and_kvm_has_no_tcg_cache():
    spec = domain_spec(
        "db1", hostname="db1", memory_mib=1792, image=ImageSource.disk("debian-12.qcow2"), network="fabric-h1",
        mac="52:54:00:0a:00:05",
    )  # fmt: skip
    xml = render_domain_xml(
        spec, uuid=UUID, domain_type="kvm", pool="default", overlay_volume="db1.qcow2", seed_volume="db1-cidata.iso"
    )
    assert xml == DISK_XML


def test_values_are_escaped_not_spliced_into_the_xml():
    xml = render_domain_xml(
        domain_spec("web1", image=TINY, hostname="a&b<c>", network="net'1\""),
        uuid=UUID,
        pool="default",
        boot_files=BootFiles(kernel_path="/k", initrd_path="/i"),
    )
    assert 'hostname="a&amp;b&lt;c&gt;"' in xml
    assert "portal.hostname=a&amp;b&lt;c&gt; console=ttyS0" in xml
    assert '<source network="net\'1&quot;" />' in xml


def test_a_command_line_naming_an_unknown_value_is_a_readable_error():
    spec = domain_spec("web1", image=ImageSource.direct_boot(kernel="k", initrd="i", cmdline="portal.dns={dns}"))
    with pytest.raises(DriverError, match=r"^The kernel command line of image k names a value .*'dns'"):
        render_domain_xml(spec, uuid=UUID, pool="default", boot_files=BootFiles(kernel_path="/k", initrd_path="/i"))


def test_the_overlay_volume_is_qcow2_over_the_base_volume():
    xml = render_overlay_volume_xml(
        "web1.qcow2", capacity_bytes=2147483648, base_path="/var/lib/libvirt/images/debian-12.qcow2"
    )
    assert xml == (
        "<volume>\n"
        "  <name>web1.qcow2</name>\n"
        '  <capacity unit="bytes">2147483648</capacity>\n'
        "  <target>\n"
        '    <format type="qcow2" />\n'
        "  </target>\n"
        "  <backingStore>\n"
        "    <path>/var/lib/libvirt/images/debian-12.qcow2</path>\n"
        '    <format type="qcow2" />\n'
        "  </backingStore>\n"
        "</volume>\n"
    )


def test_the_seed_volume_is_raw():
    assert render_seed_volume_xml("web1-cidata.iso", capacity_bytes=374784) == (
        "<volume>\n"
        "  <name>web1-cidata.iso</name>\n"
        '  <capacity unit="bytes">374784</capacity>\n'
        "  <target>\n"
        '    <format type="raw" />\n'
        "  </target>\n"
        "</volume>\n"
    )


def test_an_image_is_a_volume_or_a_kernel_with_an_initrd():
    with pytest.raises(ValueError, match="either"):
        ImageSource(volume="a.qcow2", kernel="k", initrd="i")
    with pytest.raises(ValueError, match="initrd"):
        ImageSource(kernel="k")


def test_a_plain_password_is_refused_by_the_spec():
    with pytest.raises(ValueError, match="crypt"):
        domain_spec("web1", password_crypt="hunter2")
