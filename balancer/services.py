"""Writes for load balancers: public addresses for cloud services, and applying a region's configuration."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from balancer import haproxy
from balancer.config import render
from balancer.models import LoadBalancer, PublicAddress
from balancer.selectors import changes_waiting, cloud_services_without_address, load_balancer_values
from fabric.lab.hosts import LabBalancer
from vms.models import Operation, Region
from vms.operations import operations_settle

logger = logging.getLogger(__name__)

Apply = Callable[..., None]


@dataclass(frozen=True)
class ApplyResult:
    """What one pass did: ``applied``, ``unchanged``, ``refused`` (HAProxy's reason) or ``unreachable``."""

    outcome: str
    message: str = ""


@transaction.atomic
def public_addresses_assign(*, load_balancer: LoadBalancer) -> list[str]:
    """Give each cloud service with endpoints in the region the lowest free address; return those left without one."""
    locked = LoadBalancer.objects.select_for_update().get(pk=load_balancer.pk)
    waiting = list(cloud_services_without_address(locked).values_list("pk", "name"))
    if not waiting:
        return []
    taken = set(PublicAddress.objects.filter(load_balancer=locked).values_list("address", flat=True))
    free = (str(address) for address in ipaddress.IPv4Network(locked.public_addresses).hosts())
    free = (address for address in free if address not in taken)
    given, left = [], []
    for service_id, name in waiting:
        address = next(free, None)
        if address is None:
            left.append(name)
            continue
        given.append(PublicAddress(load_balancer=locked, cloud_service_id=service_id, address=address))
    PublicAddress.objects.bulk_create(given)
    return left


def load_balancer_configuration(*, load_balancer: LoadBalancer) -> str:
    """Return the configuration the region's endpoints, sets, members and addresses call for now."""
    values, cloud_services = load_balancer_values(load_balancer)
    return render(values, cloud_services)


def carries_region(region_id: int) -> bool:
    """Tell whether an enabled load balancer must take the region's endpoint changes (endpoints asks, per change)."""
    return LoadBalancer.objects.filter(region_id=region_id, enabled=True).exists()


def _changes_waiting(load_balancer: LoadBalancer) -> list[int]:
    """The operations of endpoint changes in the region that wait for this load balancer, committed so far."""
    return list(changes_waiting().filter(details__region=load_balancer.region_id).values_list("pk", flat=True))


def _changes_settle(operation_ids: list[int], result: ApplyResult) -> ApplyResult:
    """End the changes' operations as the configuration that holds them went: taken, or refused with the reason."""
    if operation_ids and result.outcome in {"applied", "unchanged"}:
        operations_settle(operation_ids=operation_ids, outcome="HAProxy runs the configuration with this change.")
    elif operation_ids and result.outcome == "refused":
        operations_settle(
            operation_ids=operation_ids,
            error=f"HAProxy refused the configuration with this change, so it still serves the one before: "
            f"{result.message}",
        )
    return result


def changes_without_carrier_settle() -> list[Operation]:
    """End the waiting changes of regions whose load balancer was disabled since: nothing is left to take them."""
    waiting = list(changes_waiting().values_list("pk", "details__region"))
    if not waiting:
        return []
    carried = set(LoadBalancer.objects.filter(enabled=True).values_list("region_id", flat=True))
    orphans = [pk for pk, region in waiting if region not in carried]
    if not orphans:
        return []
    return operations_settle(
        operation_ids=orphans, outcome="The region's load balancer was disabled; the change is saved."
    )


def load_balancer_apply(*, load_balancer: LoadBalancer, apply: Apply = haproxy.apply) -> ApplyResult:
    """Render the region's configuration and, when it changed, have HAProxy check and load it; record a refusal.

    The operations of the changes committed before the rendering end with the outcome: each of those changes is in
    the configuration rendered. One committed later waits for the next pass (an unreachable HAProxy leaves them all
    waiting, until it answers or the recovery sweep gives up on them).
    """
    waiting = _changes_waiting(load_balancer)
    return _changes_settle(waiting, _apply(load_balancer, apply))


def _apply(load_balancer: LoadBalancer, apply: Apply) -> ApplyResult:
    left = public_addresses_assign(load_balancer=load_balancer)
    text = load_balancer_configuration(load_balancer=load_balancer)
    digest = hashlib.sha256(text.encode()).hexdigest()
    load_balancer.refresh_from_db(fields=["applied_hash", "refused_hash", "refusal"])
    if digest == load_balancer.applied_hash:
        return ApplyResult("unchanged")
    if digest == load_balancer.refused_hash:
        return ApplyResult("refused", load_balancer.refusal)
    try:
        apply(
            text,
            config_path=load_balancer.config_path,
            master_socket=load_balancer.master_socket,
            binary=load_balancer.binary,
        )
    except haproxy.HAProxyError as error:
        message = str(error)
        logger.warning("HAProxy of %s did not take a configuration: %s", load_balancer.region, message)
        # A configuration HAProxy cannot load waits for the next change; one that did not reach HAProxy (not
        # running, its socket missing) is tried again on the next pass.
        refused = isinstance(error, haproxy.ConfigurationRefused | haproxy.ReloadFailed)
        LoadBalancer.objects.filter(pk=load_balancer.pk).update(
            refused_hash=digest if refused else "", refusal=message, refused_at=timezone.now()
        )
        return ApplyResult("refused" if refused else "unreachable", message)
    LoadBalancer.objects.filter(pk=load_balancer.pk).update(
        applied_hash=digest, applied_at=timezone.now(), refused_hash="", refusal="", refused_at=None
    )
    message = ""
    if left:
        message = f"No public address is left for {', '.join(left)}: widen the load balancer's addresses."
        logger.warning("Load balancer of %s: %s", load_balancer.region, message)
    return ApplyResult("applied", message)


def load_balancer_for_lab(*, balancer: LabBalancer, region: Region | None) -> LoadBalancer | None:
    """Make the lab's HAProxy the region's load balancer (region None: the lab stopped, so disable the one it was)."""
    if region is None:
        LoadBalancer.objects.filter(config_path=balancer.config_path).update(enabled=False)
        return None
    load_balancer = LoadBalancer.objects.filter(region=region).first() or LoadBalancer(region=region)
    load_balancer.enabled = True
    load_balancer.public_addresses = balancer.public_addresses
    load_balancer.config_path = balancer.config_path
    load_balancer.runtime_socket = balancer.runtime_socket
    load_balancer.master_socket = balancer.master_socket
    load_balancer.binary = balancer.binary
    # A new HAProxy runs the lab's empty configuration: the next pass applies the region's again.
    load_balancer.applied_hash = load_balancer.refused_hash = load_balancer.refusal = ""
    load_balancer.full_clean()
    load_balancer.save()
    return load_balancer
