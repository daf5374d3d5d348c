"""The lab's address and name plan: inside its private range, distinct, and within Linux's limits."""

from __future__ import annotations

import ipaddress
import itertools

from fabric.lab.hosts import (
    LAB_NETWORK,
    MAX_HOSTS,
    MAX_RACKS,
    LabHost,
    guest_network,
    host_address,
    rack_bridge,
    rack_gateway,
)


def _rack_network(rack: int) -> ipaddress.IPv4Network:
    return ipaddress.ip_network(f"{rack_gateway(rack)}/24", strict=False)


def test_every_address_of_the_largest_lab_is_inside_the_lab_network_and_distinct():
    racks = range(MAX_RACKS)
    hosts = range(MAX_HOSTS)
    networks = [_rack_network(rack) for rack in racks] + [guest_network(host) for host in hosts]
    assert all(network.subnet_of(LAB_NETWORK) for network in networks)
    assert not [(a, b) for a, b in itertools.combinations(networks, 2) if a.overlaps(b)]
    addresses = [host_address(host % MAX_RACKS, host) for host in hosts]
    assert len(set(addresses)) == len(addresses)
    for host, address in zip(hosts, addresses, strict=True):
        rack_network = _rack_network(host % MAX_RACKS)
        assert address in rack_network
        assert address not in (
            rack_network.network_address,
            rack_network.broadcast_address,
            rack_gateway(host % MAX_RACKS),
        )


def test_link_names_fit_linux_limit_of_fifteen_characters():
    names = [rack_bridge(MAX_RACKS - 1), f"labh{MAX_HOSTS - 1}p"]
    assert all(len(name) <= 15 for name in names)


def test_guest_addresses_start_after_the_gateway_and_stay_in_the_host_subnet():
    host = LabHost(
        name="labh3",
        rack="rack1",
        uri="qemu+unix:///system?socket=/x",
        address=str(host_address(1, 3)),
        subnet=str(guest_network(3)),
        gateway=str(guest_network(3).network_address + 1),
        network="lab",
        pool="lab",
        pool_path="/x/pool",
        run_path="/x/run",
    )
    first = ipaddress.ip_interface(host.guest_address(0))
    assert first.network == guest_network(3)
    assert first.ip > ipaddress.ip_address(host.gateway)
