"""Writes for endpoints and load-balanced sets (the probe rounds are endpoints/probes.py).

Every add, edit and delete locks the cloud service's row first, so the checks on public ports and on the number of
endpoints read what no concurrent request can change until this one commits.

A change a region's load balancer carries is also an operation, in the same transaction: in progress until HAProxy
takes the configuration with it, failed with HAProxy's reason when it refuses it. The load balancer registers itself
with :func:`change_carrier_register` (endpoints sits below it); regions nobody carries change at once, without one.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Value

from endpoints.models import (
    DEFAULT_PROBE_COUNT,
    DEFAULT_PROBE_INTERVAL,
    MAX_PROBE_COUNT,
    MAX_PROBE_INTERVAL,
    MIN_PROBE_COUNT,
    Endpoint,
    LoadBalancedSet,
    ProbeProtocol,
    Protocol,
)
from endpoints.rotation import (
    HIGHEST_PORT,
    LOWEST_PORT,
    free_public_port,
    joining_state,
)
from vms.models import CloudService, Operation, OSFamily, VirtualMachine
from vms.operations import operations_changed

ENDPOINTS_PER_CLOUD_SERVICE = 150
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,14}$")

# What the platform gives a new VM, by operating system: (name, protocol, private port).
DEFAULT_ENDPOINTS = {
    OSFamily.WINDOWS: [("RemoteDesktop", Protocol.TCP, 3389), ("PowerShell", Protocol.TCP, 5986)],
    OSFamily.LINUX: [("SSH", Protocol.TCP, 22)],
}

Errors = dict[str, list[ValidationError]]

# Answers whether something beyond the database (a region's load balancer) must take a region's endpoint changes.
ChangeCarrier = Callable[[int], bool]
change_carriers: list[ChangeCarrier] = []
WAITING_FOR_CARRIER = "Saved; waiting for the region's load balancer to take it."
# What the recovery sweep says of a change still waiting after OPERATION_TIMEOUT_SECONDS ({seconds}).
ABANDONED_CHANGE = (
    "The load balancer did not take it within {seconds} seconds. The change is saved; HAProxy gets it with the next "
    "configuration it takes."
)


def change_carrier_register(carrier: ChangeCarrier) -> None:
    """Have `carrier(region_id)` say whether endpoint changes in that region wait for it (once per carrier)."""
    if carrier not in change_carriers:
        change_carriers.append(carrier)


def _change_record(
    *, cloud_service: CloudService, target_name: str, title: str, user: AbstractBaseUser | None
) -> Operation | None:
    """Open the operation of a change a carrier must take; None where the change is complete once committed."""
    region_id = cloud_service.region_id
    if not any(carrier(region_id) for carrier in change_carriers):
        return None
    operation = Operation.objects.create(
        subscription_id=cloud_service.subscription_id,
        requested_by=user if user is not None and user.is_authenticated else None,
        kind=Operation.Kind.ENDPOINTS,
        target_name=target_name,
        title=title,
        message=WAITING_FOR_CARRIER,
        details={"region": region_id, "cloud_service": cloud_service.pk, "abandoned": ABANDONED_CHANGE},
    )
    operations_changed(subscription_id=cloud_service.subscription_id)
    return operation


def _add(errors: Errors, field: str, check) -> None:
    """Run one check and file its refusal under the field a person fixes it in."""
    try:
        check()
    except ValidationError as error:
        errors.setdefault(field, []).extend(error.error_list)


def cloud_service_lock(cloud_service_id: int) -> CloudService:
    """Lock a cloud service's row so that endpoint checks and the writes they guard run one at a time."""
    return CloudService.objects.select_for_update().get(pk=cloud_service_id)


# Checks: each rule once. The services call them under the cloud service's lock; the forms only parse.


def endpoint_name_check(*, vm: VirtualMachine, name: str, excluding: Endpoint | None = None) -> None:
    """Refuse a name that breaks the naming rule or that the VM already uses, whatever its case."""
    if not NAME_RE.match(name):
        raise ValidationError(
            "A name has 1 to 15 letters, digits, hyphens and underscores, and starts with a letter.",
            code="name_format",
        )
    taken = Endpoint.objects.filter(virtual_machine=vm, name__iexact=name)
    if excluding is not None:
        taken = taken.exclude(pk=excluding.pk)
    if taken.exists():
        raise ValidationError(
            "%(vm)s already has an endpoint named %(name)s.",
            code="name_taken",
            params={"vm": vm.name, "name": name},
        )


def port_check(port: int | None) -> None:
    """Refuse a port outside 1 to 65535."""
    if port is None or not LOWEST_PORT <= port <= HIGHEST_PORT:
        raise ValidationError("Enter a port from 1 to 65535.", code="port_range")


def public_port_check(
    *,
    cloud_service: CloudService,
    protocol: str,
    public_port: int,
    load_balanced_set: LoadBalancedSet | None = None,
    excluding: Endpoint | None = None,
) -> None:
    """Refuse a public port the cloud service already uses, unless it is the port of the set being joined."""
    standalone = Endpoint.objects.filter(
        cloud_service=cloud_service, protocol=protocol, public_port=public_port, load_balanced_set__isnull=True
    )
    if excluding is not None:
        standalone = standalone.exclude(pk=excluding.pk)
    holder = standalone.select_related("virtual_machine").first()
    if holder is not None:
        raise _public_port_taken(cloud_service, protocol, public_port, f"{holder.virtual_machine.name}'s {holder.name}")
    sets = LoadBalancedSet.objects.filter(cloud_service=cloud_service, protocol=protocol, public_port=public_port)
    if load_balanced_set is not None:
        sets = sets.exclude(pk=load_balanced_set.pk)
    if holder_set := sets.first():
        raise _public_port_taken(cloud_service, protocol, public_port, f"the load-balanced set {holder_set.name}")


def _public_port_taken(cloud_service: CloudService, protocol: str, port: int, holder: str) -> ValidationError:
    return ValidationError(
        "%(service)s.cloudapp.net already uses public port %(port)s (%(protocol)s) for %(holder)s.",
        code="public_port_taken",
        params={"service": cloud_service.name, "port": port, "protocol": Protocol(protocol).label, "holder": holder},
    )


def private_port_check(
    *, vm: VirtualMachine, protocol: str, private_port: int, excluding: Endpoint | None = None
) -> None:
    """Refuse a private port the VM already uses for the same protocol."""
    taken = Endpoint.objects.filter(virtual_machine=vm, protocol=protocol, private_port=private_port)
    if excluding is not None:
        taken = taken.exclude(pk=excluding.pk)
    if holder := taken.first():
        raise ValidationError(
            "%(vm)s already uses private port %(port)s (%(protocol)s) for %(holder)s.",
            code="private_port_taken",
            params={"vm": vm.name, "port": private_port, "protocol": Protocol(protocol).label, "holder": holder.name},
        )


def endpoint_capacity_check(*, cloud_service: CloudService, adding: int = 1, count: int | None = None) -> None:
    """Refuse endpoints beyond the 150 input endpoints a cloud service may have.

    count: how many it has, when the caller has just read its endpoints under the lock.
    """
    if count is None:
        count = Endpoint.objects.filter(cloud_service=cloud_service).count()
    if count + adding > ENDPOINTS_PER_CLOUD_SERVICE:
        raise ValidationError(
            "%(service)s has %(count)s of its %(limit)s input endpoints; it cannot take %(adding)s more.",
            code="endpoint_limit",
            params={
                "service": cloud_service.name,
                "count": count,
                "limit": ENDPOINTS_PER_CLOUD_SERVICE,
                "adding": adding,
            },
        )


def load_balanced_set_name_check(*, cloud_service: CloudService, name: str) -> None:
    """Refuse a set name that breaks the naming rule or is taken in the cloud service, whatever its case."""
    if not NAME_RE.match(name):
        raise ValidationError(
            "A name has 1 to 15 letters, digits, hyphens and underscores, and starts with a letter.",
            code="name_format",
        )
    if LoadBalancedSet.objects.filter(cloud_service=cloud_service, name__iexact=name).exists():
        raise ValidationError(
            "%(service)s already has a load-balanced set named %(name)s.",
            code="set_name_taken",
            params={"service": cloud_service.name, "name": name},
        )


def probe_checks(
    *, probe_protocol: str, probe_port: int | None, probe_path: str, probe_interval: int | None, probe_count: int | None
) -> Errors:
    """Check a probe's settings; return the refusals keyed by field."""
    errors: Errors = {}
    minimum = settings.ENDPOINT_PROBE_MIN_INTERVAL_SECONDS

    def protocol() -> None:
        if probe_protocol not in ProbeProtocol.values:
            raise ValidationError("Choose TCP or HTTP.", code="probe_protocol")

    def path() -> None:
        if probe_protocol == ProbeProtocol.HTTP and not probe_path.startswith("/"):
            raise ValidationError("An HTTP probe needs a path starting with /, such as /.", code="probe_path")
        if probe_protocol == ProbeProtocol.TCP and probe_path:
            raise ValidationError("Only an HTTP probe has a path.", code="probe_path")

    def interval() -> None:
        if probe_interval is None or not minimum <= probe_interval <= MAX_PROBE_INTERVAL:
            raise ValidationError(
                "A probe interval is %(minimum)s to %(maximum)s seconds.",
                code="probe_interval",
                params={"minimum": minimum, "maximum": MAX_PROBE_INTERVAL},
            )

    def count() -> None:
        if probe_count is None or not MIN_PROBE_COUNT <= probe_count <= MAX_PROBE_COUNT:
            raise ValidationError(
                "The number of probes is %(minimum)s to %(maximum)s.",
                code="probe_count",
                params={"minimum": MIN_PROBE_COUNT, "maximum": MAX_PROBE_COUNT},
            )

    _add(errors, "probe_protocol", protocol)
    _add(errors, "probe_port", lambda: port_check(probe_port))
    _add(errors, "probe_path", path)
    _add(errors, "probe_interval", interval)
    _add(errors, "probe_count", count)
    return errors


def _member_share_checks(errors: Errors, lb_set: LoadBalancedSet, protocol: str, public_port: int, private_port: int):
    shared = (("protocol", protocol, lb_set.protocol), ("public_port", public_port, lb_set.public_port))
    for field, value, expected in (*shared, ("private_port", private_port, lb_set.private_port)):
        if value != expected:
            shown = Protocol(expected).label if field == "protocol" else expected
            errors.setdefault(field, []).append(
                ValidationError(
                    "Members of %(set)s share its %(what)s, %(expected)s.",
                    code="set_shares",
                    params={"set": lb_set.name, "what": field.replace("_", " "), "expected": shown},
                )
            )


def _protocol_check(protocol: str) -> None:
    if protocol not in Protocol.values:
        raise ValidationError("Choose TCP or UDP.", code="protocol")


def _save(instance, cloud_service: CloudService, protocol: str, public_port: int, **save_kwargs) -> None:
    """Save a row; a database refusal (a concurrent writer without the lock) becomes the public port's message."""
    try:
        with transaction.atomic():
            instance.save(**save_kwargs)
    except IntegrityError as error:
        message = _public_port_taken(cloud_service, protocol, public_port, "another endpoint")
        raise ValidationError({"public_port": message}) from error


@transaction.atomic
def endpoint_create(
    *,
    vm: VirtualMachine,
    name: str,
    protocol: str,
    public_port: int,
    private_port: int,
    load_balanced_set: LoadBalancedSet | None = None,
    load_balanced_set_name: str = "",
    probe_protocol: str = ProbeProtocol.TCP,
    probe_port: int | None = None,
    probe_path: str = "",
    probe_interval: int = DEFAULT_PROBE_INTERVAL,
    probe_count: int = DEFAULT_PROBE_COUNT,
    user: AbstractBaseUser | None = None,
) -> Endpoint:
    """Add an endpoint to a VM: stand-alone, joining a set of its cloud service, or creating a set with it."""
    cloud_service = cloud_service_lock(vm.cloud_service_id)
    name = name.strip()
    errors: Errors = {}
    _add(errors, "name", lambda: endpoint_name_check(vm=vm, name=name))
    _add(errors, "protocol", lambda: _protocol_check(protocol))
    _add(errors, "public_port", lambda: port_check(public_port))
    _add(errors, "private_port", lambda: port_check(private_port))
    if load_balanced_set is not None:
        if load_balanced_set.cloud_service_id != cloud_service.pk:
            raise ValidationError(
                {
                    "load_balanced_set": ValidationError(
                        "Choose a load-balanced set of %(service)s.",
                        code="other_cloud_service",
                        params={"service": cloud_service.name},
                    )
                }
            )
        load_balanced_set = LoadBalancedSet.objects.get(pk=load_balanced_set.pk)
        if load_balanced_set.members.filter(virtual_machine=vm).exists():
            errors.setdefault("load_balanced_set", []).append(
                ValidationError(
                    "%(vm)s is already in %(set)s.",
                    code="already_member",
                    params={"vm": vm.name, "set": load_balanced_set.name},
                )
            )
        _member_share_checks(errors, load_balanced_set, protocol, public_port, private_port)
    if "public_port" not in errors and "protocol" not in errors:
        _add(
            errors,
            "public_port",
            lambda: public_port_check(
                cloud_service=cloud_service,
                protocol=protocol,
                public_port=public_port,
                load_balanced_set=load_balanced_set,
            ),
        )
    if "private_port" not in errors and "protocol" not in errors:
        _add(errors, "private_port", lambda: private_port_check(vm=vm, protocol=protocol, private_port=private_port))
    _add(errors, "name", lambda: endpoint_capacity_check(cloud_service=cloud_service))
    creating_set = load_balanced_set is None and bool(load_balanced_set_name.strip())
    if creating_set:
        load_balanced_set_name = load_balanced_set_name.strip()
        _add(
            errors,
            "load_balanced_set_name",
            lambda: load_balanced_set_name_check(cloud_service=cloud_service, name=load_balanced_set_name),
        )
        for field, field_errors in probe_checks(
            probe_protocol=probe_protocol,
            probe_port=probe_port,
            probe_path=probe_path,
            probe_interval=probe_interval,
            probe_count=probe_count,
        ).items():
            errors.setdefault(field, []).extend(field_errors)
    if errors:
        raise ValidationError(errors)

    if creating_set:
        load_balanced_set = LoadBalancedSet(
            cloud_service=cloud_service,
            name=load_balanced_set_name,
            protocol=protocol,
            public_port=public_port,
            private_port=private_port,
            probe_protocol=probe_protocol,
            probe_port=probe_port,
            probe_path=probe_path,
            probe_interval=probe_interval,
            probe_count=probe_count,
        )
        load_balanced_set.full_clean(validate_unique=False, validate_constraints=False)
        _save(load_balanced_set, cloud_service, protocol, public_port)
    state = joining_state()  # a stand-alone endpoint starts the same: no failures, out of rotation
    endpoint = Endpoint(
        virtual_machine=vm,
        cloud_service=cloud_service,
        name=name,
        protocol=protocol,
        public_port=public_port,
        private_port=private_port,
        load_balanced_set=load_balanced_set,
        probe_failures=state.failures,
        in_rotation=state.in_rotation,
    )
    endpoint.full_clean(validate_unique=False, validate_constraints=False)
    _save(endpoint, cloud_service, protocol, public_port)
    _change_record(
        cloud_service=cloud_service, target_name=vm.name, title=f"Adding endpoint {name} to {vm.name}", user=user
    )
    return endpoint


@transaction.atomic
def endpoint_update(
    *,
    endpoint: Endpoint,
    name: str,
    protocol: str,
    public_port: int,
    private_port: int,
    user: AbstractBaseUser | None = None,
) -> Endpoint:
    """Change an endpoint's name and ports; a member keeps the ports its set shares."""
    cloud_service = cloud_service_lock(endpoint.cloud_service_id)
    endpoint = Endpoint.objects.select_related("virtual_machine", "load_balanced_set").get(pk=endpoint.pk)
    vm = endpoint.virtual_machine
    name = name.strip()
    errors: Errors = {}
    _add(errors, "name", lambda: endpoint_name_check(vm=vm, name=name, excluding=endpoint))
    _add(errors, "protocol", lambda: _protocol_check(protocol))
    _add(errors, "public_port", lambda: port_check(public_port))
    _add(errors, "private_port", lambda: port_check(private_port))
    if endpoint.load_balanced_set is not None:
        _member_share_checks(errors, endpoint.load_balanced_set, protocol, public_port, private_port)
    elif "public_port" not in errors and "protocol" not in errors:
        _add(
            errors,
            "public_port",
            lambda: public_port_check(
                cloud_service=cloud_service, protocol=protocol, public_port=public_port, excluding=endpoint
            ),
        )
    if "private_port" not in errors and "protocol" not in errors:
        _add(
            errors,
            "private_port",
            lambda: private_port_check(vm=vm, protocol=protocol, private_port=private_port, excluding=endpoint),
        )
    if errors:
        raise ValidationError(errors)
    endpoint.name, endpoint.protocol = name, protocol
    endpoint.public_port, endpoint.private_port = public_port, private_port
    endpoint.full_clean(validate_unique=False, validate_constraints=False)
    _save(
        endpoint,
        cloud_service,
        protocol,
        public_port,
        update_fields=["name", "protocol", "public_port", "private_port"],
    )
    _change_record(
        cloud_service=cloud_service, target_name=vm.name, title=f"Updating endpoint {name} of {vm.name}", user=user
    )
    return endpoint


@transaction.atomic
def endpoint_delete(*, endpoint: Endpoint, user: AbstractBaseUser | None = None) -> bool:
    """Delete an endpoint; removing the last member of a load-balanced set removes the set. True when it did."""
    cloud_service = cloud_service_lock(endpoint.cloud_service_id)
    row = (
        Endpoint.objects.filter(pk=endpoint.pk)
        .values_list("load_balanced_set_id", "name", "virtual_machine__name")
        .first()
    )
    if row is None:
        return False
    set_id, name, vm_name = row
    Endpoint.objects.filter(pk=endpoint.pk).delete()
    _change_record(
        cloud_service=cloud_service, target_name=vm_name, title=f"Deleting endpoint {name} of {vm_name}", user=user
    )
    if set_id is not None and not Endpoint.objects.filter(load_balanced_set_id=set_id).exists():
        LoadBalancedSet.objects.filter(pk=set_id).delete()
        return True
    return False


@transaction.atomic
def load_balanced_set_update(
    *,
    load_balanced_set: LoadBalancedSet,
    probe_protocol: str,
    probe_port: int,
    probe_path: str = "",
    probe_interval: int = DEFAULT_PROBE_INTERVAL,
    probe_count: int = DEFAULT_PROBE_COUNT,
    user: AbstractBaseUser | None = None,
) -> LoadBalancedSet:
    """Change a set's probe for all its members at once; the members' rotation moves on the next probes."""
    cloud_service = cloud_service_lock(load_balanced_set.cloud_service_id)
    errors = probe_checks(
        probe_protocol=probe_protocol,
        probe_port=probe_port,
        probe_path=probe_path,
        probe_interval=probe_interval,
        probe_count=probe_count,
    )
    if errors:
        raise ValidationError(errors)
    locked = LoadBalancedSet.objects.get(pk=load_balanced_set.pk)
    locked.probe_protocol, locked.probe_port, locked.probe_path = probe_protocol, probe_port, probe_path
    locked.probe_interval, locked.probe_count = probe_interval, probe_count
    locked.full_clean(validate_unique=False, validate_constraints=False)
    locked.save(update_fields=["probe_protocol", "probe_port", "probe_path", "probe_interval", "probe_count"])
    # Failures beyond the new count mean the same thing as the count itself.
    locked.members.filter(probe_failures__gt=probe_count).update(probe_failures=probe_count)
    _change_record(
        cloud_service=cloud_service,
        target_name=locked.name,
        title=f"Updating the probe of load-balanced set {locked.name}",
        user=user,
    )
    return locked


@transaction.atomic
def load_balanced_set_delete(*, load_balanced_set: LoadBalancedSet, user: AbstractBaseUser | None = None) -> None:
    """Delete a load-balanced set with its members' endpoints."""
    cloud_service = cloud_service_lock(load_balanced_set.cloud_service_id)
    if LoadBalancedSet.objects.filter(pk=load_balanced_set.pk).delete()[0]:
        _change_record(
            cloud_service=cloud_service,
            target_name=load_balanced_set.name,
            title=f"Deleting load-balanced set {load_balanced_set.name}",
            user=user,
        )


# No savepoint of its own: every check runs before the one write, so a refusal leaves nothing to undo.
@transaction.atomic(savepoint=False)
def endpoints_create_defaults(*, vm: VirtualMachine, rng: random.Random | None = None) -> list[Endpoint]:
    """Give a new VM the endpoints the platform gives its operating system, each on a free public port."""
    cloud_service = cloud_service_lock(vm.cloud_service_id)
    defaults = DEFAULT_ENDPOINTS[vm.image_version.image.os_family]
    # The public ports taken by endpoints and by load-balanced sets, in one read; `is_endpoint` counts the former.
    ports = (
        Endpoint.objects.filter(cloud_service=cloud_service)
        .annotate(is_endpoint=Value(True))
        .values_list("protocol", "public_port", "is_endpoint")
        .order_by()
        .union(
            LoadBalancedSet.objects.filter(cloud_service=cloud_service)
            .annotate(is_endpoint=Value(False))
            .values_list("protocol", "public_port", "is_endpoint")
            .order_by(),
            all=True,
        )
        .order_by()
    )
    taken: dict[str, set[int]] = defaultdict(set)
    endpoint_count = 0
    for protocol, port, is_endpoint in ports:
        taken[protocol].add(port)
        endpoint_count += bool(is_endpoint)
    try:
        endpoint_capacity_check(cloud_service=cloud_service, adding=len(defaults), count=endpoint_count)
    except ValidationError as error:
        raise ValidationError({"cloud_service": error}) from error
    rng = rng or random.Random()  # noqa: S311 - a port number, not a secret
    created = []
    for name, protocol, private_port in defaults:
        public_port = free_public_port(private_port, taken[protocol], rng)
        if public_port is None:
            raise ValidationError(
                {
                    "cloud_service": ValidationError(
                        "%(service)s has no free public port.",
                        code="no_free_port",
                        params={"service": cloud_service.name},
                    )
                }
            )
        taken[protocol].add(public_port)
        endpoint = Endpoint(
            virtual_machine=vm,
            cloud_service=cloud_service,
            name=name,
            protocol=protocol,
            public_port=public_port,
            private_port=private_port,
        )
        # The VM and the locked cloud service are rows in hand: no need to read them again to validate the links.
        endpoint.full_clean(
            exclude=["virtual_machine", "cloud_service"], validate_unique=False, validate_constraints=False
        )
        created.append(endpoint)
    return Endpoint.objects.bulk_create(created)


@transaction.atomic
def load_balanced_sets_remove_empty() -> int:
    """Remove the sets whose last member went with its deleted VM; return how many."""
    empty = list(LoadBalancedSet.objects.filter(members__isnull=True).values_list("pk", flat=True))
    if empty:
        LoadBalancedSet.objects.filter(pk__in=empty, members__isnull=True).delete()
    return len(empty)
