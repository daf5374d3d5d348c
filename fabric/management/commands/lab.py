"""manage.py lab up|down|status: the lab's libvirt hosts on this machine, registered as the portal's hosts."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from fabric.lab.hosts import (
    DEFAULT_CACHE,
    DEFAULT_IMAGES,
    DEFAULT_WORKDIR,
    LabError,
    lab_status,
    recorded_balancer,
    recorded_hosts,
    start_hosts,
    stop_hosts,
)
from fabric.services import lab_balancer_register, lab_hosts_register, lab_hosts_unregister
from vms.models import Region


class Command(BaseCommand):
    help = "Start (up), stop (down) or show (status) the lab's libvirt hosts, registered as the portal's hosts."

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["up", "down", "status"])
        parser.add_argument("--hosts", type=int, default=4, help="how many hosts (up; default 4)")
        parser.add_argument("--racks", type=int, default=2, help="how many racks they are spread over (up; default 2)")
        parser.add_argument("--region", default="", help="the region the racks join (up; default the first region)")
        parser.add_argument("--workdir", default=DEFAULT_WORKDIR, help=f"where the hosts live ({DEFAULT_WORKDIR})")
        parser.add_argument("--images", default=DEFAULT_IMAGES, help=f"the built guest image ({DEFAULT_IMAGES})")

    def handle(self, *args, action: str, **options) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except LabError as error:
            raise CommandError(f"lab: {error}") from None

    def _up(self, *, hosts: int, racks: int, region: str, workdir: str, images: str, **_options) -> None:
        chosen = Region.objects.filter(name=region).first() if region else Region.objects.first()
        if chosen is None:
            raise CommandError(f"There is no region {region}." if region else "There is no region: load the catalog.")
        started = time.monotonic()
        lab_hosts = start_hosts(hosts, racks, workdir, images=images, cache=DEFAULT_CACHE)
        try:
            registered = lab_hosts_register(hosts=lab_hosts, region=chosen)
            balancer = recorded_balancer(workdir)
            if balancer is not None:
                lab_balancer_register(balancer=balancer, region=chosen)
        except BaseException:
            stop_hosts(workdir)
            raise
        self.stdout.write(
            f"{len(registered)} hosts in {racks} racks up in {time.monotonic() - started:.1f} s, "
            f"registered in {chosen.name}:"
        )
        for host in registered:
            self.stdout.write(f"  {host.rack.name}/{host.name}  {host.subnet}  {host.cores} cores, {host.memory_mb} MB")
        if balancer is not None:
            self.stdout.write(f"  HAProxy: public addresses {balancer.public_addresses}, {balancer.config_path}")

    def _down(self, *, workdir: str, **_options) -> None:
        names = [host.name for host in recorded_hosts(workdir)]
        balancer = recorded_balancer(workdir)
        stop_hosts(workdir)
        if balancer is not None:
            lab_balancer_register(balancer=balancer, region=None)
        removed, unreachable = lab_hosts_unregister(names=names)
        self.stdout.write("The lab is down.")
        if removed:
            self.stdout.write(f"Removed hosts: {', '.join(removed)}.")
        if unreachable:
            self.stdout.write(f"Hosts that hold virtual machines, now unreachable: {', '.join(unreachable)}.")

    def _status(self, *, workdir: str, **_options) -> None:
        report = lab_status(workdir)
        if not report:
            self.stdout.write("No lab is running.")
        for entry in report:
            host = entry["host"]
            self.stdout.write(
                f"{host.name}  {host.rack}  guests {host.subnet} (gateway {host.gateway})  {host.cores} cores, "
                f"{host.memory_mib} MiB"
            )
            self.stdout.write(f"    {host.uri}")
            self.stdout.write(f"    pool {host.pool} at {host.pool_path}")
            self.stdout.write(
                f"    daemons: {', '.join(entry['daemons']) or 'none'}; guests: {', '.join(entry['guests']) or 'none'}"
            )
