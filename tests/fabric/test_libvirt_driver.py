"""What only the libvirt driver does: talk to libvirt's test host, upload the seed, refuse what it does not manage."""

from __future__ import annotations

import io

import pycdlib
import pytest

from fabric.drivers.base import DomainState, DriverError, overlay_volume_name, seed_volume_name
from tests.helpers.drivers import BASE_VOLUME, PLAIN_PASSWORD, TEST_POOL, domain_spec, libvirt_test_host, machine_name
from tests.helpers.lab import require_libvirt


@pytest.fixture
def host():
    made = libvirt_test_host("h-libvirt")
    yield made
    for info in made.driver.list():
        if info.name.startswith("t-"):
            made.driver.undefine(info.name)
    made.driver.close()


def test_the_seed_uploaded_holds_the_hash_and_the_definition_has_no_plain_password(host):
    name = machine_name()
    spec = domain_spec(name)
    host.driver.define(spec)

    iso_bytes = host.uploads[seed_volume_name(name)]
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(iso_bytes))
    out = io.BytesIO()
    iso.get_file_from_iso_fp(out, rr_path="/user-data")
    iso.close()
    assert spec.password_crypt in out.getvalue().decode()
    assert PLAIN_PASSWORD.encode() not in iso_bytes
    domain = host.driver.connection().lookupByName(name)
    xml = domain.XMLDesc(0)
    assert PLAIN_PASSWORD not in xml
    assert spec.password_crypt not in xml
    assert f"volume='{seed_volume_name(name)}'" in xml
    assert "<tb-cache unit='KiB'>32768</tb-cache>" in xml


def test_the_overlay_is_backed_by_the_images_base_volume(host):
    name = machine_name()
    host.driver.define(domain_spec(name))

    pool = host.driver.connection().storagePoolLookupByName(TEST_POOL)
    overlay = pool.storageVolLookupByName(overlay_volume_name(name)).XMLDesc(0)
    base = pool.storageVolLookupByName(BASE_VOLUME)
    assert f"<backingStore>\n    <path>{base.path()}</path>" in overlay


def test_a_host_that_cannot_take_the_upload_fails_readably_and_keeps_no_volumes():
    from fabric.drivers.libvirt import LibvirtDriver

    libvirt_test_host("h-upload")  # creates the image volumes
    driver = LibvirtDriver("test:///default", host="h-upload", pool=TEST_POOL, domain_type="qemu")
    name = machine_name()
    try:
        with pytest.raises(DriverError) as raised:
            driver.define(domain_spec(name))
        volumes = set(driver.connection().storagePoolLookupByName(TEST_POOL).listVolumes())
    finally:
        driver.close()

    assert str(raised.value).startswith(f"Host h-upload could not create {name}: ")
    assert "not supported" in str(raised.value)
    assert "Traceback" not in str(raised.value)
    assert not {overlay_volume_name(name), seed_volume_name(name)} & volumes


def test_a_domain_the_portal_does_not_manage_is_left_alone(host):
    assert "test" not in {info.name for info in host.driver.list()}
    with pytest.raises(DriverError, match=r"^Host h-libvirt could not delete test: the portal does not manage"):
        host.driver.undefine("test")
    assert host.driver.state("test") == DomainState.RUNNING


def test_the_domain_type_defaults_from_the_hosts_capabilities():
    require_libvirt()
    from fabric.drivers.libvirt import LibvirtDriver

    driver = LibvirtDriver("test:///default")
    try:
        assert driver.domain_type == "test"  # the only type libvirt's test host offers
        assert driver.host == "test:///default"
    finally:
        driver.close()


def test_an_unreachable_host_is_a_readable_error():
    require_libvirt()
    from fabric.drivers.libvirt import LibvirtDriver

    with pytest.raises(DriverError, match=r"^Host h9 cannot be reached: .+\.$"):
        LibvirtDriver("test:///nonexistent/file.xml", host="h9")


def test_a_closed_driver_refuses_further_calls():
    require_libvirt()
    from fabric.drivers.libvirt import LibvirtDriver

    driver = LibvirtDriver("test:///default", host="h-closed")
    driver.close()
    with pytest.raises(DriverError, match=r"^The connection to host h-closed has been closed"):
        driver.start("web1")
