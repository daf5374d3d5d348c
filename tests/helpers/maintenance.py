"""For the maintenance tests: a small shop on four simulated hosts, and the planner's rule with a brute force."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from applications.models import Application
from applications.services import application_create, role_add
from fabric.models import Host, Rack
from maintenance import planner
from tests import factories
from tests.helpers.fabric import place_on_host
from vms.models import VirtualMachine


@dataclass
class Shop:
    hosts: list[Host]
    rack: Rack
    application: Application
    site: Application
    vms: dict[str, VirtualMachine]


def host(rack: Rack, number: int, **fields) -> Host:
    return Host.objects.create(
        rack=rack, name=f"m-h{number}", cores=64, memory_mb=262144, subnet=f"10.240.{number}.0/24", **fields
    )


def shop(subscription, **host_fields) -> Shop:
    """Web (a set over update domains 0 and 1), Db (a set), Batch (a lone VM); a second application uses Web only.

    h1: web1 (ud 0), db1 (ud 0)    h2: web2 (ud 1)    h3: db2 (ud 1), batch    h4: web3 (ud 0)
    """
    rack = Rack.objects.create(region=factories.region(), name="maintenance-rack")
    hosts = [host(rack, number, **host_fields) for number in range(1, 5)]
    service = factories.CloudServiceFactory(subscription=subscription)
    web = factories.AvailabilitySetFactory(cloud_service=service, name="web")
    db = factories.AvailabilitySetFactory(cloud_service=service, name="db")
    vms = {}
    for name, availability_set, update_domain, on in (
        ("web1", web, 0, 0),
        ("db1", db, 0, 0),
        ("web2", web, 1, 1),
        ("db2", db, 1, 2),
        ("web3", web, 0, 3),
    ):
        membership = factories.MembershipFactory(
            availability_set=availability_set,
            virtual_machine__name=name,
            virtual_machine__cloud_service=service,
            update_domain=update_domain,
            fault_domain=update_domain,
        )
        vms[name] = membership.virtual_machine
        place_on_host(vms[name], hosts[on])
    vms["batch"] = factories.VirtualMachineFactory(cloud_service=service, name="batch")
    place_on_host(vms["batch"], hosts[2])
    application = application_create(subscription=subscription, name="Shop")
    role_add(application=application, name="Web", availability_set=web)
    role_add(application=application, name="Db", availability_set=db)
    role_add(application=application, name="Batch", virtual_machine=vms["batch"])
    site = application_create(subscription=subscription, name="Site")
    role_add(application=site, name="Front", availability_set=web)
    return Shop(hosts, rack, application, site, vms)


def breaks_rule(round_hosts: set[int], vms: list[planner.Vm], roles: list[planner.Role]) -> bool:
    """The rule in its own words: one update domain of each set at a time, and every role keeps a member up."""
    down = [vm for vm in vms if vm.running and vm.host in round_hosts]
    for set_key in {vm.set_key for vm in down if vm.set_key is not None}:
        if len({vm.update_domain for vm in down if vm.set_key == set_key}) > 1:
            return True
    down_keys = {vm.key for vm in down}
    return any(role.in_set and role.up_members and set(role.up_members) <= down_keys for role in roles)


def partitions(items: list[int]) -> Iterator[list[list[int]]]:
    """Yield every way to split the items into non-empty groups."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for smaller in partitions(rest):
        for index in range(len(smaller)):
            yield [*smaller[:index], [first, *smaller[index]], *smaller[index + 1 :]]
        yield [[first], *smaller]


def fewest_rounds(hosts: list[int], vms: list[planner.Vm], roles: list[planner.Role]) -> int:
    """Try every grouping of the hosts into rounds; return the fewest rounds of a grouping that keeps the rule."""
    if not hosts:
        return 0
    return min(
        len(blocks) for blocks in partitions(hosts) if not any(breaks_rule(set(block), vms, roles) for block in blocks)
    )
