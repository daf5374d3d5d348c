"""python -m fabric.lab up|down|status: start, stop or show the lab's libvirt hosts."""

from __future__ import annotations

import argparse
import sys
import time

from fabric.lab.hosts import LabError, lab_status, start_hosts, stop_hosts

DEFAULT_WORKDIR = "var/lab/hosts"
DEFAULT_IMAGES = "var/lab/images"
DEFAULT_CACHE = "var/lab/qemu-capabilities"


def _print_host(host) -> None:
    print(
        f"{host.name}  {host.rack}  guests {host.subnet} (gateway {host.gateway})  {host.cores} cores, "
        f"{host.memory_mib} MiB"
    )
    print(f"    {host.uri}")
    print(f"    pool {host.pool} at {host.pool_path}")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run up, down or status."""
    parser = argparse.ArgumentParser(prog="python -m fabric.lab", description=__doc__)
    parser.add_argument("--workdir", default=DEFAULT_WORKDIR, help=f"where the hosts live (default {DEFAULT_WORKDIR})")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="start the hosts")
    up.add_argument("--hosts", type=int, default=4)
    up.add_argument("--racks", type=int, default=2)
    up.add_argument("--images", default=DEFAULT_IMAGES, help=f"the built guest image (default {DEFAULT_IMAGES})")
    commands.add_parser("down", help="stop everything the lab started")
    commands.add_parser("status", help="show the hosts and their guests")
    options = parser.parse_args(argv)

    try:
        if options.command == "up":
            started = time.monotonic()
            hosts = start_hosts(
                options.hosts, options.racks, options.workdir, images=options.images, cache=DEFAULT_CACHE
            )
            print(f"{len(hosts)} hosts in {options.racks} racks up in {time.monotonic() - started:.1f} s")
            for host in hosts:
                _print_host(host)
        elif options.command == "down":
            stop_hosts(options.workdir)
            print("The lab is down")
        else:
            report = lab_status(options.workdir)
            if not report:
                print("No lab is running")
            for entry in report:
                _print_host(entry["host"])
                daemons = ", ".join(entry["daemons"]) or "none"
                guests = ", ".join(entry["guests"]) or "none"
                print(f"    daemons: {daemons}; guests: {guests}")
    except LabError as error:
        print(f"lab: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
