"""Test helpers for the load balancer: a LoadBalancer row whose files live in a test's directory."""

from __future__ import annotations

from pathlib import Path

from balancer.models import LoadBalancer
from tests.factories import region


def load_balancer(tmp_path: Path, **values) -> LoadBalancer:
    return LoadBalancer.objects.create(
        region=region(),
        public_addresses=values.pop("public_addresses", "127.0.1.0/29"),
        config_path=str(tmp_path / "haproxy.cfg"),
        runtime_socket=str(tmp_path / "runtime.sock"),
        master_socket=str(tmp_path / "master.sock"),
        **values,
    )
