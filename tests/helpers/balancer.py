"""Test helpers for the load balancer: a LoadBalancer row whose files live in a test's directory, and placements."""

from __future__ import annotations

import itertools
from pathlib import Path

from balancer.models import LoadBalancer
from fabric.models import Host, Placement, Rack
from tests.factories import region

_macs = itertools.count(1)


def place(vm, address: str) -> Placement:
    """Put a VM on a host of its region with this address, as the fabric does when it starts it."""
    rack, _ = Rack.objects.get_or_create(region=vm.cloud_service.region, name="rack1")
    host, _ = Host.objects.get_or_create(
        rack=rack, name="host1", defaults={"cores": 64, "memory_mb": 262144, "subnet": "10.254.128.0/24"}
    )
    return Placement.objects.create(
        virtual_machine=vm,
        host=host,
        domain_name=f"vm-{vm.pk}",
        mac_address=f"52:54:00:00:00:{next(_macs):02x}",
        address=address,
    )


def load_balancer(tmp_path: Path, **values) -> LoadBalancer:
    return LoadBalancer.objects.create(
        region=region(),
        public_addresses=values.pop("public_addresses", "127.0.1.0/29"),
        config_path=str(tmp_path / "haproxy.cfg"),
        runtime_socket=str(tmp_path / "runtime.sock"),
        master_socket=str(tmp_path / "master.sock"),
        **values,
    )
