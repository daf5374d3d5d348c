"""A small shop on four simulated hosts of a rack of their own, for the maintenance tests."""

from __future__ import annotations

from dataclasses import dataclass

from applications.models import Application
from applications.services import application_create, role_add
from fabric.models import Host, Rack
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
