"""Which domain type a host's guests get: the host's setting, else kvm only where it can run, else qemu."""

from __future__ import annotations

import pytest

from fabric import connections
from fabric.drivers.libvirt import cpu_virtualizes, preferred_domain_type, uri_is_local
from fabric.models import Host
from tests.helpers.lab import require_libvirt

FLAGS = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme sse2 {extra} ht\n\n"


@pytest.mark.parametrize(
    ("offered", "kvm_usable", "chosen"),
    [
        (["kvm", "qemu"], True, "kvm"),
        (["kvm", "qemu"], False, "qemu"),
        (["qemu", "kvm"], True, "kvm"),
        (["qemu"], True, "qemu"),
        (["kvm"], False, "qemu"),
        (["test"], False, "test"),
        ([], True, "qemu"),
    ],
)
def test_kvm_is_chosen_only_where_it_can_run(offered, kvm_usable, chosen):
    assert preferred_domain_type(offered, kvm_usable=kvm_usable) == chosen


@pytest.mark.parametrize(("extra", "virtualizes"), [("vmx", True), ("svm", True), ("", False), ("vmxnet", False)])
def test_the_cpu_virtualizes_with_vmx_or_svm(tmp_path, extra, virtualizes):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(FLAGS.format(extra=extra) * 2)
    assert cpu_virtualizes(cpuinfo) is virtualizes


def test_an_unreadable_cpuinfo_means_no_virtualization(tmp_path):
    assert cpu_virtualizes(tmp_path / "missing") is False


@pytest.mark.parametrize(
    ("uri", "local"),
    [
        ("qemu:///system", True),
        ("qemu+unix:///system?socket=/run/h1/libvirt-sock", True),
        ("test:///default", True),
        ("qemu+ssh://root@host1.example/system", False),
        ("qemu+tls://host1/system", False),
    ],
)
def test_a_uri_without_a_host_part_is_this_machine(uri, local):
    assert uri_is_local(uri) is local


def test_the_hosts_domain_type_reaches_its_driver():
    require_libvirt()
    host = Host(name="h-type", uri="test:///default", cores=2, memory_mb=2048, subnet="10.9.0.0/24")
    automatic = connections.libvirt_driver(host)
    host.domain_type = Host.DomainType.QEMU
    chosen = connections.libvirt_driver(host)
    try:
        assert automatic.domain_type == "test"  # the only type libvirt's test host offers
        assert chosen.domain_type == "qemu"
    finally:
        automatic.close()
        chosen.close()
