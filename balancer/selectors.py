"""Reads that turn a region's endpoints, sets, members and VM addresses into the renderer's plain values."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, QuerySet

from balancer.config import (
    CloudServiceValues,
    LoadBalancerValues,
    MemberValues,
    SetValues,
    StandAloneValues,
    server_name,
    set_backend_name,
)
from balancer.models import LoadBalancer, PublicAddress
from endpoints.models import Endpoint, LoadBalancedSet
from endpoints.probes import set_probe
from fabric.probes import Probe
from vms.models import CloudService, Operation


def enabled_load_balancers() -> QuerySet[LoadBalancer]:
    return LoadBalancer.objects.filter(enabled=True).select_related("region")


def changes_waiting() -> QuerySet[Operation]:
    """The operations of endpoint changes still waiting for a load balancer to take them, in every region."""
    return Operation.objects.filter(kind=Operation.Kind.ENDPOINTS, status=Operation.Status.IN_PROGRESS)


def cloud_services_without_address(load_balancer: LoadBalancer) -> QuerySet[CloudService]:
    """The cloud services of the load balancer's region that have endpoints but no public address yet."""
    return (
        CloudService.objects.filter(region_id=load_balancer.region_id, public_address__isnull=True)
        .filter(pk__in=Endpoint.objects.values("cloud_service_id"))
        .order_by("pk")
    )


def load_balancer_values(load_balancer: LoadBalancer) -> tuple[LoadBalancerValues, list[CloudServiceValues]]:
    """Return what the renderer needs for the cloud services with an address here: four queries whatever their size."""
    services = {
        service_id: (name, address)
        for service_id, name, address in PublicAddress.objects.filter(load_balancer=load_balancer).values_list(
            "cloud_service_id", "cloud_service__name", "address"
        )
    }
    in_region = {"cloud_service_id__in": list(services)}
    placed = {"vm_name": F("virtual_machine__name"), "address": F("virtual_machine__placement__address")}

    stand_alone: dict[int, list[StandAloneValues]] = defaultdict(list)
    rows = (
        Endpoint.objects.filter(load_balanced_set__isnull=True, **in_region)
        .values("id", "name", "protocol", "public_port", "private_port", "cloud_service_id")
        .annotate(**placed)
        .order_by("id")
    )
    for row in rows:
        stand_alone[row["cloud_service_id"]].append(
            StandAloneValues(
                endpoint_id=row["id"],
                name=row["name"],
                protocol=row["protocol"],
                public_port=row["public_port"],
                private_port=row["private_port"],
                vm_name=row["vm_name"],
                address=row["address"],
            )
        )

    members: dict[int, list[MemberValues]] = defaultdict(list)
    rows = (
        Endpoint.objects.filter(load_balanced_set__isnull=False, **in_region)
        .values("id", "load_balanced_set_id")
        .annotate(**placed)
        .order_by("id")
    )
    for row in rows:
        members[row["load_balanced_set_id"]].append(
            MemberValues(endpoint_id=row["id"], vm_name=row["vm_name"], address=row["address"])
        )

    sets: dict[int, list[SetValues]] = defaultdict(list)
    for lb_set in LoadBalancedSet.objects.filter(**in_region).order_by("id"):
        sets[lb_set.cloud_service_id].append(
            SetValues(
                set_id=lb_set.pk,
                name=lb_set.name,
                protocol=lb_set.protocol,
                public_port=lb_set.public_port,
                private_port=lb_set.private_port,
                probe_protocol=lb_set.probe_protocol,
                probe_port=lb_set.probe_port,
                probe_path=lb_set.probe_path,
                probe_interval=lb_set.probe_interval,
                probe_count=lb_set.probe_count,
                members=tuple(members[lb_set.pk]),
            )
        )

    cloud_services = [
        CloudServiceValues(
            cloud_service_id=service_id,
            name=name,
            address=address,
            endpoints=tuple(stand_alone[service_id]),
            sets=tuple(sets[service_id]),
        )
        for service_id, (name, address) in sorted(services.items())
    ]
    return LoadBalancerValues(
        runtime_socket=load_balancer.runtime_socket, maxconn=settings.LOAD_BALANCER_MAXCONN
    ), cloud_services


@dataclass(frozen=True)
class DrainTarget:
    """A VM's member of a set behind an enabled load balancer: its server there and the probe it answers."""

    runtime_socket: str
    backend: str
    server: str
    probe: Probe | None  # None while the VM has no address


def drain_targets(vm_id: int) -> list[DrainTarget]:
    """Return the VM's members of load-balanced sets that an enabled load balancer carries: one query."""
    rows = Endpoint.objects.filter(
        virtual_machine_id=vm_id,
        load_balanced_set__isnull=False,
        cloud_service__public_address__load_balancer__enabled=True,
    ).values_list(
        "pk",
        "load_balanced_set_id",
        "cloud_service__public_address__load_balancer__runtime_socket",
        "virtual_machine__placement__address",
        "load_balanced_set__probe_protocol",
        "load_balanced_set__probe_port",
        "load_balanced_set__probe_path",
    )
    return [
        DrainTarget(
            runtime_socket=runtime_socket,
            backend=set_backend_name(set_id),
            server=server_name(pk),
            probe=set_probe(address, protocol, port, path) if address else None,
        )
        for pk, set_id, runtime_socket, address, protocol, port, path in rows
    ]


def public_address_of(cloud_service_id: int) -> str | None:
    """Return the address clients reach the cloud service's public ports on, when its region's load balancer runs."""
    return (
        PublicAddress.objects.filter(cloud_service_id=cloud_service_id, load_balancer__enabled=True)
        .values_list("address", flat=True)
        .first()
    )
