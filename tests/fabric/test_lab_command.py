"""The lab registers itself: racks, hosts and the lab guest's image source; down lets go of what holds nothing."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from fabric.lab.hosts import LabHost
from fabric.models import Host, ImageSource, Rack
from fabric.services import LAB_IMAGE_NAME, lab_hosts_register, lab_hosts_unregister
from tests import factories
from tests.helpers.fabric import place_on_host


def lab_host(index: int, rack: int) -> LabHost:
    return LabHost(
        name=f"labh{index}",
        rack=f"rack{rack}",
        uri=f"qemu+unix:///system?socket=/tmp/labh{index}/run/libvirt-sock",
        address=f"10.254.{rack}.{10 + index}",
        subnet=f"10.254.{128 + index}.0/24",
        gateway=f"10.254.{128 + index}.1",
        network="lab",
        pool="lab",
        pool_path=f"/tmp/labh{index}/pool",
        run_path=f"/tmp/labh{index}/run",
        base_volumes={"kernel": "lab-guest-vmlinuz", "initrd": "lab-guest-initrd.img", "disk": "lab-guest-disk.raw"},
        cores=2,
        memory_mib=2048,
    )


def test_up_registers_racks_hosts_and_the_lab_guest_image(db):
    region = factories.region()

    hosts = lab_hosts_register(hosts=[lab_host(i, i % 2) for i in range(4)], region=region)

    assert [(h.name, h.rack.name) for h in hosts] == [
        ("labh0", "rack0"),
        ("labh1", "rack1"),
        ("labh2", "rack0"),
        ("labh3", "rack1"),
    ]
    host = Host.objects.get(name="labh1")
    assert (host.uri, host.subnet, host.storage_pool, host.network, host.cores, host.memory_mb) == (
        "qemu+unix:///system?socket=/tmp/labh1/run/libvirt-sock",
        "10.254.129.0/24",
        "lab",
        "lab",
        2,
        2048,
    )
    assert set(Rack.objects.filter(region=region).values_list("name", flat=True)) >= {"rack0", "rack1"}
    source = ImageSource.objects.get(image_version__image__name=LAB_IMAGE_NAME)
    assert (source.kernel, source.initrd) == ("lab-guest-vmlinuz", "lab-guest-initrd.img")
    assert "portal.ip={address}/{prefix}" in source.cmdline
    # Registering again (the lab started anew) updates the same rows.
    lab_hosts_register(hosts=[lab_host(i, i % 2) for i in range(4)], region=region)
    assert Host.objects.filter(name__startswith="labh").count() == 4
    assert ImageSource.objects.filter(image_version__image__name=LAB_IMAGE_NAME).count() == 1


def test_down_removes_empty_hosts_and_marks_the_ones_holding_vms_unreachable(db):
    hosts = lab_hosts_register(hosts=[lab_host(0, 0), lab_host(1, 1)], region=factories.region())
    place_on_host(factories.VirtualMachineFactory(), hosts[1])

    removed, unreachable = lab_hosts_unregister(names=["labh0", "labh1"])

    assert (removed, unreachable) == (["labh0"], ["labh1"])
    assert Host.objects.get(name="labh1").state == Host.State.UNREACHABLE
    assert not Host.objects.filter(name="labh0").exists()


def test_the_lab_runs_its_guests_in_software_emulation_when_the_cpu_cannot_virtualize(db, monkeypatch):
    region = factories.region()
    monkeypatch.setattr("fabric.services.cpu_virtualizes", lambda: False)
    lab_hosts_register(hosts=[lab_host(0, 0)], region=region)
    assert Host.objects.get(name="labh0").domain_type == "qemu"

    monkeypatch.setattr("fabric.services.cpu_virtualizes", lambda: True)
    lab_hosts_register(hosts=[lab_host(0, 0)], region=region)
    assert Host.objects.get(name="labh0").domain_type == ""  # automatic: kvm, as libvirt offers it


def test_status_shows_each_host_its_addresses_pool_daemons_and_guests(monkeypatch):
    report = [{"host": lab_host(1, 1), "daemons": ["libvirtd"], "guests": ["web1", "web2"]}]
    monkeypatch.setattr("fabric.management.commands.lab.lab_status", lambda workdir: report)
    out = StringIO()

    call_command("lab", "status", stdout=out)

    assert out.getvalue().splitlines() == [
        "labh1  rack1  guests 10.254.129.0/24 (gateway 10.254.129.1)  2 cores, 2048 MiB",
        "    qemu+unix:///system?socket=/tmp/labh1/run/libvirt-sock",
        "    pool lab at /tmp/labh1/pool",
        "    daemons: libvirtd; guests: web1, web2",
    ]
