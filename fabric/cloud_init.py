"""The NoCloud seed a disk image's cloud-init reads at first boot: an ISO labelled `cidata`, built in pure Python."""

from __future__ import annotations

import io
import json

import pycdlib

from fabric.drivers.base import DomainSpec

SEED_LABEL = "cidata"

# The seed's files: their ISO 9660 names (8.3) and the names cloud-init reads through Rock Ridge and Joliet.
SEED_FILES = {"user-data": "/USERDATA.;1", "meta-data": "/METADATA.;1", "network-config": "/NETCONF.;1"}


def render_user_data(spec: DomainSpec) -> str:
    """Return the #cloud-config: the host name and the administrator, with their SSH key and hashed password.

    The document is JSON, which YAML reads as it is, so no value can escape its quotes.
    """
    admin: dict[str, object] = {
        "name": spec.admin_username,
        "groups": ["sudo"],
        "sudo": "ALL=(ALL) NOPASSWD:ALL",
        "shell": "/bin/bash",
        "lock_passwd": not spec.password_crypt,
    }
    if spec.password_crypt:
        admin["passwd"] = spec.password_crypt  # cloud-init's `passwd` takes a crypt(3) hash, written as it is
    if spec.ssh_public_key:
        admin["ssh_authorized_keys"] = [spec.ssh_public_key]
    config: dict[str, object] = {
        "hostname": spec.hostname,
        "preserve_hostname": False,
        "users": [admin],
        "ssh_pwauth": bool(spec.password_crypt),
        "chpasswd": {"expire": False},
    }
    return "#cloud-config\n" + json.dumps(config, indent=2) + "\n"


def render_meta_data(spec: DomainSpec, *, instance_id: str) -> str:
    """Return the seed's meta-data: the instance id (new for each machine) and the host name."""
    return json.dumps({"instance-id": instance_id, "local-hostname": spec.hostname}, indent=2) + "\n"


def render_network_config(spec: DomainSpec) -> str:
    """Return a version 2 network configuration for a static address, or "" to let the guest use DHCP."""
    if not spec.address:
        return ""
    ethernet: dict[str, object] = {
        "match": {"macaddress": spec.mac},
        "set-name": "eth0",
        "addresses": [f"{spec.address}/{spec.prefix}"],
    }
    if spec.gateway:
        ethernet["routes"] = [{"to": "default", "via": spec.gateway}]
    return json.dumps({"version": 2, "ethernets": {"eth0": ethernet}}, indent=2) + "\n"


def seed_files(spec: DomainSpec, *, instance_id: str) -> dict[str, str]:
    """Return the seed's files by the names cloud-init reads."""
    files = {
        "user-data": render_user_data(spec),
        "meta-data": render_meta_data(spec, instance_id=instance_id),
    }
    if network := render_network_config(spec):
        files["network-config"] = network
    return files


def build_seed_iso(spec: DomainSpec, *, instance_id: str) -> bytes:
    """Return the bytes of the NoCloud seed ISO for a machine."""
    iso = pycdlib.PyCdlib()
    iso.new(interchange_level=3, joliet=3, rock_ridge="1.09", vol_ident=SEED_LABEL)
    for name, content in seed_files(spec, instance_id=instance_id).items():
        data = content.encode()
        iso.add_fp(io.BytesIO(data), len(data), SEED_FILES[name], rr_name=name, joliet_path=f"/{name}")
    out = io.BytesIO()
    iso.write_fp(out)
    iso.close()
    return out.getvalue()
