"""The lab end to end: real libvirt hosts in two racks boot real guests, see one fail, and leave nothing behind."""

from __future__ import annotations

import ipaddress
import json
import os
import queue
import signal
import subprocess
from pathlib import Path

import pytest

from balancer import haproxy
from fabric.lab.hosts import STATE_FILE, recorded_balancer
from tests.helpers.lab import guest_xml, http_get, overlay_volume_xml, wait_until

pytestmark = pytest.mark.real_guests

BOOT_TIMEOUT = 90.0
EVENT_TIMEOUT = 30.0


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def _route_get(address: str) -> str:
    return subprocess.run(["ip", "route", "get", address], capture_output=True, text=True, check=False).stdout


def test_guests_on_two_hosts_answer_a_killed_one_is_seen_failed_and_stopping_leaves_nothing(lab, libvirt_events):
    libvirt = libvirt_events
    events: queue.Queue = queue.Queue()

    def on_lifecycle(_connection, domain, event, detail, host_name):
        events.put((host_name, domain.name(), event, detail))

    connections = []
    guests = []
    for index, host in enumerate(lab.hosts):
        connection = libvirt.open(host.uri)
        connections.append(connection)
        connection.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_lifecycle, host.name)
        name = f"web{index + 1}"
        volume = connection.storagePoolLookupByName(host.pool).createXML(overlay_volume_xml(host, name=name), 0)
        address = host.guest_address(0)
        connection.defineXML(guest_xml(host, name=name, address=address, disk_path=volume.path())).create()
        guests.append((host, name, address.split("/")[0]))

    for host, name, address in guests:
        body = wait_until(lambda address=address: http_get(address), timeout=BOOT_TIMEOUT)
        assert body is not None, f"{name} on {host.name} did not answer HTTP at {address}"
        assert f"<h1>{name}</h1>" in body, f"{address} answered, but not as {name}: {body!r}"

    (victim_host, victim, victim_address), (_, survivor, survivor_address) = guests
    qemu_pid = int(Path(victim_host.run_path, "qemu", f"{victim}.pid").read_text())
    os.kill(qemu_pid, signal.SIGKILL)

    def stopped_event():
        try:
            seen = events.get(timeout=0.5)
        except queue.Empty:
            return None
        return seen if seen[:3] == (victim_host.name, victim, libvirt.VIR_DOMAIN_EVENT_STOPPED) else None

    seen = wait_until(stopped_event, timeout=EVENT_TIMEOUT, interval=0)
    assert seen is not None, f"no STOPPED event for {victim} after its qemu was killed"
    assert seen[3] == libvirt.VIR_DOMAIN_EVENT_STOPPED_FAILED
    assert http_get(victim_address) is None, f"{victim} still answers after its qemu was killed"
    survivor_body = http_get(survivor_address)
    assert survivor_body is not None and f"<h1>{survivor}</h1>" in survivor_body

    survivor_pid = int(Path(lab.hosts[1].run_path, "qemu", f"{survivor}.pid").read_text())
    for connection in connections:
        connection.close()
    recorded = json.loads((lab.workdir / STATE_FILE).read_text())
    # The region's HAProxy runs in master-worker mode, and its public addresses reach this machine.
    balancer = recorded_balancer(lab.workdir)
    assert balancer is not None and haproxy.workers(balancer.master_socket)
    public = str(next(ipaddress.IPv4Network(balancer.public_addresses).hosts()))
    assert _route_get(public).startswith("local ")
    lab.stop()

    pids = [process["pid"] for process in recorded["processes"]] + [survivor_pid]
    assert not [pid for pid in pids if _alive(pid)], "processes the lab started are still running"
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert not {namespace["name"] for namespace in recorded["netns"]} & set(namespaces.split())
    links = {
        link["ifname"]
        for link in json.loads(subprocess.run(["ip", "-j", "link"], capture_output=True, text=True, check=True).stdout)
    }
    assert not (set(recorded["links"]) | set(recorded["bridges"])) & links
    routes = subprocess.run(["ip", "route"], capture_output=True, text=True, check=True).stdout
    assert not [route for route in recorded["routes"] if route[0] in routes]
    assert not (lab.workdir / STATE_FILE).exists()
    assert not _route_get(public).startswith("local "), "the public addresses are still local"
