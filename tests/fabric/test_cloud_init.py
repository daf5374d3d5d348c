"""The NoCloud seed: an ISO labelled cidata whose files cloud-init reads, with the password only as its hash."""

from __future__ import annotations

import io
import json

import pycdlib

from fabric.cloud_init import build_seed_iso, seed_files
from tests.helpers.drivers import PLAIN_PASSWORD, SSH_PUBLIC_KEY, domain_spec


def _read_back(iso_bytes: bytes) -> tuple[str, dict[str, str]]:
    iso = pycdlib.PyCdlib()
    iso.open_fp(io.BytesIO(iso_bytes))
    label = iso.pvd.volume_identifier.decode().strip()
    files = {}
    for name in ("user-data", "meta-data", "network-config"):
        for lookup in ({"rr_path": f"/{name}"}, {"joliet_path": f"/{name}"}):
            out = io.BytesIO()
            iso.get_file_from_iso_fp(out, **lookup)
            files.setdefault(name, out.getvalue().decode())
            assert files[name] == out.getvalue().decode()  # Rock Ridge and Joliet name the same file
    iso.close()
    return label, files


def test_the_seed_iso_is_labelled_cidata_and_holds_the_three_files():
    spec = domain_spec("web1")
    label, files = _read_back(build_seed_iso(spec, instance_id="i-6f1c7a8e"))

    assert label == "cidata"
    assert files == seed_files(spec, instance_id="i-6f1c7a8e")


def test_user_data_names_the_host_the_administrator_the_key_and_the_password_hash():
    spec = domain_spec("web1", mac="52:54:00:0a:00:04")
    _, files = _read_back(build_seed_iso(spec, instance_id="i-1"))
    user_data = files["user-data"]

    assert user_data.startswith("#cloud-config\n")
    config = json.loads(user_data.removeprefix("#cloud-config\n"))
    assert config["hostname"] == "web1"
    [admin] = config["users"]
    assert admin["name"] == "azureuser"
    assert admin["passwd"] == spec.password_crypt
    assert admin["passwd"].startswith("$6$")
    assert admin["lock_passwd"] is False
    assert admin["ssh_authorized_keys"] == [SSH_PUBLIC_KEY]
    assert config["ssh_pwauth"] is True
    assert json.loads(files["meta-data"]) == {"instance-id": "i-1", "local-hostname": "web1"}
    network = json.loads(files["network-config"])
    assert network["ethernets"]["eth0"]["match"] == {"macaddress": "52:54:00:0a:00:04"}
    assert network["ethernets"]["eth0"]["addresses"] == ["10.20.1.4/24"]
    assert network["ethernets"]["eth0"]["routes"] == [{"to": "default", "via": "10.20.1.1"}]


def test_the_plain_password_is_nowhere_in_the_iso():
    iso_bytes = build_seed_iso(domain_spec("web1"), instance_id="i-1")

    assert PLAIN_PASSWORD.encode() not in iso_bytes
    assert PLAIN_PASSWORD.encode("utf-16-be") not in iso_bytes  # Joliet's encoding


def test_without_a_password_the_account_is_locked_and_ssh_takes_keys_only():
    config = json.loads(
        seed_files(domain_spec("web1", password_crypt=""), instance_id="i-1")["user-data"].split("\n", 1)[1]
    )

    assert "passwd" not in config["users"][0]
    assert config["users"][0]["lock_passwd"] is True
    assert config["ssh_pwauth"] is False


def test_without_an_address_there_is_no_network_config_and_the_guest_uses_dhcp():
    assert set(seed_files(domain_spec("web1", address=""), instance_id="i-1")) == {"user-data", "meta-data"}
