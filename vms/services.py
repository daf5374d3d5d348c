"""Writes for the catalog's users: networks, storage, cloud services, VMs and the operations on them."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from portal.models import Subscription
from portal.services import USAGE_FIELDS, subscription_usage_add
from portal.wizard_storage import DRAFT_MAX_AGE_SECONDS
from vms.models import (
    AffinityGroup,
    CloudService,
    ImageVersion,
    Operation,
    OperationDismissal,
    Region,
    RoleSize,
    StorageAccount,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)
from vms.operations import TRANSITIONS, operation_fail, operations_changed
from vms.tasks import carry_out_operation
from vms.validators import (
    ssh_certificate_thumbprint,
    validate_admin_password,
    validate_admin_username,
    validate_dns_name,
    validate_vm_name,
)

VMS_PER_CLOUD_SERVICE = 50

Status = VirtualMachine.Status
Kind = Operation.Kind


def subscription_lock(subscription: Subscription) -> Subscription:
    """Lock a subscription's row so that quota checks and the writes they guard run one at a time."""
    return Subscription.objects.select_for_update().get(pk=subscription.pk)


def subscription_cores_in_use(subscription: Subscription, *, excluding: VirtualMachine | None = None) -> int:
    """Return the cores the subscription's VMs hold (a shared core counts as a full one), from its counter."""
    in_use = subscription.cores_in_use
    if excluding is not None:
        in_use -= excluding.size.cores
    return in_use


def subscription_usage_counted(subscription: Subscription) -> dict[str, int]:
    """Count what the subscription uses from its rows: what its usage counters should say."""
    vms = VirtualMachine.objects.filter(cloud_service__subscription=subscription).aggregate(
        cores=Sum("size__cores"), count=Count("pk")
    )
    return {
        "cores_in_use": vms["cores"] or 0,
        "virtual_machines_in_use": vms["count"],
        "cloud_services_in_use": CloudService.objects.filter(subscription=subscription).count(),
        "storage_accounts_in_use": StorageAccount.objects.filter(subscription=subscription).count(),
    }


@transaction.atomic
def subscription_usage_recount(*, subscription: Subscription, fix: bool = True) -> dict[str, tuple[int, int]]:
    """Recount a subscription's usage under its lock; return each counter that drifted as (kept, counted).

    With fix, the counters are set to what was counted. Staff edits in the admin use this after each change.
    """
    locked = subscription_lock(subscription)
    counted = subscription_usage_counted(locked)
    drift = {
        field: (getattr(locked, field), value) for field, value in counted.items() if getattr(locked, field) != value
    }
    if fix and drift:
        Subscription.objects.filter(pk=locked.pk).update(**counted)
    if fix:
        for field in USAGE_FIELDS:
            setattr(subscription, field, counted[field])
    return drift


def subscription_cores_check(
    *, subscription: Subscription, size: RoleSize, excluding: VirtualMachine | None = None
) -> None:
    """Refuse a size that would take the subscription over its cores quota."""
    in_use = subscription_cores_in_use(subscription, excluding=excluding)
    if in_use + size.cores > subscription.core_quota:
        raise ValidationError(
            {
                "size": ValidationError(
                    "%(size)s needs %(needed)s cores but only %(free)s of the subscription's %(quota)s are free.",
                    code="core_quota",
                    params={
                        "size": size.name,
                        "needed": size.cores,
                        "free": max(subscription.core_quota - in_use, 0),
                        "quota": subscription.core_quota,
                    },
                )
            }
        )


def _name_taken(kind: str, name: str) -> ValidationError:
    return ValidationError(
        {
            "name": ValidationError(
                "This subscription already has %(kind)s named %(name)s.",
                code="name_taken",
                params={"kind": kind, "name": name},
            )
        }
    )


@transaction.atomic
def affinity_group_create(*, subscription: Subscription, name: str, region: Region, label: str = "") -> AffinityGroup:
    """Create an affinity group in a region; its name must be free in the subscription."""
    if subscription.affinity_groups.filter(name__iexact=name).exists():
        raise _name_taken("an affinity group", name)
    group = AffinityGroup(subscription=subscription, name=name, region=region, label=label)
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def virtual_network_create(
    *,
    subscription: Subscription,
    name: str,
    affinity_group: AffinityGroup,
    address_space: str = "10.0.0.0/16",
    subnets: list[tuple[str, str]] | None = None,
) -> VirtualNetwork:
    """Create a virtual network with its subnets (a single Subnet-1 when none are named)."""
    if subscription.virtual_networks.filter(name__iexact=name).exists():
        raise _name_taken("a virtual network", name)
    network = VirtualNetwork(
        subscription=subscription, name=name, affinity_group=affinity_group, address_space=address_space
    )
    network.full_clean()
    network.save()
    for subnet_name, prefix in subnets or [("Subnet-1", address_space.rsplit(".", 2)[0] + ".0.0/24")]:
        subnet = Subnet(virtual_network=network, name=subnet_name, address_prefix=prefix)
        try:
            subnet.full_clean()
        except ValidationError as error:
            # The subnet's fields are typed beside the network's: name each message after the field it concerns.
            fields = {"name": "subnet_name", "address_prefix": "subnet_address_prefix"}
            raise ValidationError(
                {fields.get(field, field): messages for field, messages in error.error_dict.items()}
            ) from error
        subnet.save()
    return network


# Checks: each rule once, keyed by the field a person fixes it in. The services call them before writing, and the
# wizard's forms call them to show the message on the page where the field is.


def storage_account_quota_check(*, subscription: Subscription, field: str = "storage_account") -> None:
    """Refuse another storage account once the subscription has its quota of them."""
    if subscription.storage_accounts_in_use >= subscription.storage_account_quota:
        raise ValidationError(
            {
                field: ValidationError(
                    "You are limited to %(quota)s storage accounts, and this subscription has them all.",
                    code="storage_account_quota",
                    params={"quota": subscription.storage_account_quota},
                )
            }
        )


def storage_account_generated_check(*, subscription: Subscription, region: Region) -> None:
    """Refuse a generated account for a region that has none yet when no storage account is left in the quota."""
    generated = subscription.storage_accounts.filter(region=region, automatically_generated=True)
    if not generated.exists():
        storage_account_quota_check(subscription=subscription)


def storage_account_region_check(*, storage_account: StorageAccount, region: Region) -> None:
    """Refuse a storage account outside the VM's region."""
    if storage_account.region_id != region.pk:
        raise ValidationError(
            {
                "storage_account": ValidationError(
                    "%(account)s is in %(account_region)s; choose a storage account in %(region)s.",
                    code="storage_account_region",
                    params={
                        "account": storage_account.name,
                        "account_region": storage_account.region,
                        "region": region,
                    },
                )
            }
        )


def dns_name_check(name: str) -> None:
    """Refuse a DNS name that breaks the naming rule or is taken by any subscription."""
    try:
        validate_dns_name(name)
    except ValidationError as error:
        raise ValidationError({"dns_name": error}) from error
    if CloudService.objects.filter(name=name).exists():
        raise _dns_name_taken(name)


def cloud_service_quota_check(*, subscription: Subscription) -> None:
    """Refuse another cloud service once the subscription has its quota of them."""
    if subscription.cloud_services_in_use >= subscription.cloud_service_quota:
        raise ValidationError(
            {
                "dns_name": ValidationError(
                    "This subscription already has its %(quota)s cloud services.",
                    code="cloud_service_quota",
                    params={"quota": subscription.cloud_service_quota},
                )
            }
        )


def cloud_service_capacity_check(*, cloud_service: CloudService) -> None:
    """Refuse another VM in a cloud service that holds the most it may."""
    if cloud_service.virtual_machines.count() >= VMS_PER_CLOUD_SERVICE:
        raise ValidationError(
            {
                "cloud_service": ValidationError(
                    "A cloud service holds at most %(limit)s virtual machines.",
                    code="cloud_service_full",
                    params={"limit": VMS_PER_CLOUD_SERVICE},
                )
            }
        )


def _dns_name_taken(name: str) -> ValidationError:
    return ValidationError(
        {
            "dns_name": ValidationError(
                "%(name)s.cloudapp.net is already taken. Choose another DNS name.",
                code="dns_name_taken",
                params={"name": name},
            )
        }
    )


@transaction.atomic
def storage_account_create(*, subscription: Subscription, name: str, region: Region) -> StorageAccount:
    """Create a named storage account in a region."""
    subscription = subscription_lock(subscription)
    storage_account_quota_check(subscription=subscription, field="name")
    account = StorageAccount(subscription=subscription, name=name, region=region)
    account.full_clean()
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as error:
        raise ValidationError({"name": "That storage account name is taken."}, code="name_taken") from error
    subscription_usage_add(subscription=subscription, storage_accounts=1)
    return account


def storage_account_generated_for(*, subscription: Subscription, region: Region) -> tuple[StorageAccount, bool]:
    """Return the subscription's automatically generated account in a region and whether it was made now.

    The first time, it is made; the caller holds the subscription's lock and counts it in the usage.
    """
    existing = StorageAccount.objects.filter(subscription=subscription, region=region, automatically_generated=True)
    if account := existing.first():
        return account, False
    storage_account_quota_check(subscription=subscription)
    account = StorageAccount(
        subscription=subscription,
        region=region,
        name=f"portalvhds{secrets.token_hex(7)}",
        automatically_generated=True,
    )
    # The relations are the caller's own rows, the name is random and well formed, and the one account per region
    # was looked for above: only the fields' own rules are left to check.
    account.full_clean(exclude=["subscription", "region"], validate_unique=False, validate_constraints=False)
    account.save()
    return account, True


def cloud_service_create(
    *,
    subscription: Subscription,
    name: str,
    region: Region,
    affinity_group: AffinityGroup | None = None,
    virtual_network: VirtualNetwork | None = None,
) -> CloudService:
    """Create a cloud service under the subscription's quota; its DNS name must be free everywhere.

    The caller holds the subscription's lock and counts the service in the usage. A name taken meanwhile is
    refused by the database's unique index, with the same message as dns_name_check.
    """
    try:
        validate_dns_name(name)
    except ValidationError as error:
        raise ValidationError({"dns_name": error}) from error
    cloud_service_quota_check(subscription=subscription)
    service = CloudService(
        subscription=subscription,
        name=name,
        region=region,
        affinity_group=affinity_group,
        virtual_network=virtual_network,
    )
    service.full_clean(
        exclude=["subscription", "region", "affinity_group", "virtual_network"],
        validate_unique=False,
        validate_constraints=False,
    )
    try:
        with transaction.atomic():
            service.save()
    except IntegrityError as error:
        raise _dns_name_taken(name) from error
    return service


@transaction.atomic
def cloud_service_add(
    *, subscription: Subscription, name: str, region: Region, affinity_group: AffinityGroup | None = None
) -> CloudService:
    """Create an empty cloud service (New -> Cloud Service) under the subscription's lock, as a deploy does."""
    subscription = subscription_lock(subscription)
    service = cloud_service_create(subscription=subscription, name=name, region=region, affinity_group=affinity_group)
    subscription_usage_add(subscription=subscription, cloud_services=1)
    return service


@transaction.atomic
def cloud_service_delete(*, cloud_service: CloudService) -> None:
    """Delete a cloud service that holds no virtual machines, with its availability sets."""
    subscription_lock(cloud_service.subscription)
    locked = CloudService.objects.select_for_update().get(pk=cloud_service.pk)
    if locked.virtual_machines.exists():
        raise ValidationError(
            "The cloud service %(name)s still holds virtual machines; delete them first.",
            code="cloud_service_in_use",
            params={"name": locked.name},
        )
    locked.delete()
    subscription_usage_add(subscription_id=locked.subscription_id, cloud_services=-1)


@transaction.atomic
def cloud_service_virtual_network_set(*, cloud_service: CloudService, virtual_network: VirtualNetwork) -> CloudService:
    """Place an empty cloud service in a virtual network of its subscription and region, before its first VM."""
    locked = CloudService.objects.select_for_update().get(pk=cloud_service.pk)
    if locked.virtual_network_id == virtual_network.pk:
        return locked
    if virtual_network.subscription_id != locked.subscription_id:
        raise ValidationError(
            {"virtual_network": ValidationError("Choose a virtual network of this subscription.", code="foreign")}
        )
    if locked.virtual_machines.exists():
        raise ValidationError(
            {
                "virtual_network": ValidationError(
                    "The cloud service %(name)s already holds virtual machines; its virtual network cannot change.",
                    code="cloud_service_in_use",
                    params={"name": locked.name},
                )
            }
        )
    affinity_group = virtual_network.affinity_group
    if locked.affinity_group_id not in (None, affinity_group.pk) or affinity_group.region_id != locked.region_id:
        raise ValidationError(
            {
                "virtual_network": ValidationError(
                    "The virtual network %(network)s is in another region or affinity group than the cloud service.",
                    code="other_region",
                    params={"network": virtual_network.name},
                )
            }
        )
    locked.virtual_network = virtual_network
    locked.affinity_group = affinity_group
    locked.save(update_fields=["virtual_network", "affinity_group"])
    return locked


def vm_name_check(
    *, cloud_service: CloudService, name: str, os_family: str, excluding: VirtualMachine | None = None
) -> None:
    """Refuse a VM name that breaks its operating system's rules or is taken in the cloud service."""
    validate_vm_name(name, os_family)
    others = cloud_service.virtual_machines.all()
    if excluding is not None:
        others = others.exclude(pk=excluding.pk)
    if others.filter(name__iexact=name).exists():
        raise _vm_name_taken(cloud_service, name)


def _vm_name_taken(cloud_service: CloudService, name: str) -> ValidationError:
    return ValidationError(
        "The cloud service %(service)s already has a virtual machine named %(name)s.",
        code="vm_name_taken",
        params={"service": cloud_service.name, "name": name},
    )


@sensitive_variables("admin_password")
@transaction.atomic(savepoint=False)
def vm_create(
    *,
    cloud_service: CloudService,
    name: str,
    image_version: ImageVersion,
    size: RoleSize,
    storage_account: StorageAccount,
    admin_username: str,
    admin_password: str = "",
    ssh_certificate: bytes | None = None,
    subnet: Subnet | None = None,
    user: AbstractBaseUser | None = None,
    cloud_service_is_new: bool = False,
) -> VirtualMachine:
    """Create a VM record in Starting (Provisioning) under its subscription's lock; the caller counts its usage.

    The subscription's row is locked before the capacity and core quota checks (a caller that already holds the
    lock, as virtual_machine_deploy does, takes it again at no cost). A cloud service made in this transaction holds
    no VMs yet, so its capacity check is skipped. A name taken in the cloud service is refused by the database's
    unique index, with the message vm_name_check gives.
    """
    os_family = image_version.image.os_family
    errors: dict[str, ValidationError] = {}
    for field, check in (
        ("name", lambda: validate_vm_name(name, os_family)),
        ("admin_username", lambda: validate_admin_username(admin_username, os_family)),
        ("admin_password", lambda: admin_password and validate_admin_password(admin_password)),
    ):
        try:
            check()
        except ValidationError as error:
            errors[field] = error
    thumbprint = ""
    if ssh_certificate:
        try:
            thumbprint = ssh_certificate_thumbprint(ssh_certificate)
        except ValidationError as error:
            errors["ssh_certificate"] = error
    if not admin_password and not ssh_certificate:
        errors["admin_password"] = ValidationError("Provide a password, an SSH key, or both.", code="no_credentials")
    if errors:
        raise ValidationError(errors)
    subscription = subscription_lock(cloud_service.subscription)
    if not cloud_service_is_new:
        cloud_service_capacity_check(cloud_service=cloud_service)
    subscription_cores_check(subscription=subscription, size=size)
    vm = VirtualMachine(
        cloud_service=cloud_service,
        subscription=subscription,
        name=name,
        image_version=image_version,
        size=size,
        storage_account=storage_account,
        subnet=subnet,
        admin_username=admin_username,
        password_hash=make_password(admin_password) if admin_password else "",
        ssh_certificate_thumbprint=thumbprint,
        status=Status.PROVISIONING,
        created_by=user,
    )
    # The relations are rows the caller read; clean() checks that they belong together.
    vm.full_clean(
        exclude=["cloud_service", "subscription", "image_version", "size", "storage_account", "subnet", "created_by"],
        validate_unique=False,
        validate_constraints=False,
    )
    try:
        with transaction.atomic():
            vm.save()
    except IntegrityError as error:
        if "vm_name_unique_in_cloud_service" not in str(error):
            raise
        raise ValidationError({"name": _vm_name_taken(cloud_service, name)}) from error
    return vm


# Operations: each one moves a VM into a passing state now and is finished by the fabric in the worker.

ALLOWED_FROM: dict[str, set[str]] = {
    Kind.START: {Status.STOPPED},
    Kind.SHUT_DOWN: {Status.RUNNING},
    Kind.RESTART: {Status.RUNNING},
    Kind.CONFIGURE: {Status.RUNNING, Status.STOPPED},
    Kind.DELETE: {Status.RUNNING, Status.STOPPED},
}


def vm_lock_for_operation(*, vm: VirtualMachine, kind: str) -> VirtualMachine:
    """Lock a VM's row and refuse a new operation while another is in progress or the state forbids it."""
    # Only the VM's own row: the rules an operation touches have locks of their own (the subscription's for quotas,
    # the set's for slots), and locking the shared cloud service row would make every VM in it wait for the others.
    locked = VirtualMachine.objects.select_for_update(of=("self",)).select_related("cloud_service").get(pk=vm.pk)
    if locked.held_by:
        raise ValidationError(
            "%(name)s is held by %(holder)s; %(action)s is possible once it ends or is stopped.",
            code="held",
            params={"name": locked.name, "holder": locked.held_by, "action": Kind(kind).label.lower()},
        )
    running = Operation.objects.filter(virtual_machine=locked, status=Operation.Status.IN_PROGRESS).first()
    if running is not None:
        raise ValidationError(
            "%(title)s is still in progress. Wait for it to finish, then try again.",
            code="busy",
            params={"title": running.title},
        )
    if locked.status not in ALLOWED_FROM[kind]:
        raise ValidationError(
            "%(name)s is %(status)s; %(action)s is not possible now.",
            code="wrong_state",
            params={"name": locked.name, "status": locked.get_status_display(), "action": Kind(kind).label.lower()},
        )
    return locked


def virtual_machines_hold(*, vms: list[VirtualMachine], holder: str) -> None:
    """Hold locked VMs for `holder` (such as a drill): until released, every command on them is refused."""
    for vm in vms:
        vm.held_by = holder
        vm.save(update_fields=["held_by"])


def virtual_machines_release(*, vm_ids: list[int], holder: str) -> int:
    """Release the VMs `holder` holds; return how many it held."""
    return VirtualMachine.objects.filter(pk__in=vm_ids, held_by=holder).update(held_by="")


def operation_begin(
    *,
    vm: VirtualMachine,
    kind: str,
    title: str,
    user: AbstractBaseUser | None,
    details: dict | None = None,
) -> Operation:
    """Record an operation on a locked VM, move it into the passing state and hand it to the worker on commit."""
    if vm.status != TRANSITIONS[kind].running:
        vm.status = TRANSITIONS[kind].running
        vm.save(update_fields=["status"])
    operation = Operation(
        subscription_id=vm.subscription_id,
        requested_by=user if user and user.is_authenticated else None,
        kind=kind,
        virtual_machine=vm,
        target_name=vm.name,
        title=title,
        details=details or {},
    )
    if kind == Kind.CREATE:
        # A VM made in this transaction has no other operation.
        operation.save()
    else:
        try:
            with transaction.atomic():
                operation.save()
        except IntegrityError as error:
            raise ValidationError(
                "Another operation is in progress on %(name)s.", code="busy", params={"name": vm.name}
            ) from error
    operations_changed(subscription_id=operation.subscription_id)
    _enqueue_on_commit(operation)
    return operation


def _enqueue_on_commit(operation: Operation) -> None:
    operation_id, attempt = operation.pk, operation.attempts
    transaction.on_commit(lambda: carry_out_operation.enqueue(operation_id, attempt))


def _vm_power(*, vm: VirtualMachine, user: AbstractBaseUser | None, kind: str, verb: str) -> Operation:
    locked = vm_lock_for_operation(vm=vm, kind=kind)
    return operation_begin(vm=locked, kind=kind, title=f"{verb} virtual machine {locked.name}", user=user)


@transaction.atomic
def vm_start(*, vm: VirtualMachine, user: AbstractBaseUser | None) -> Operation:
    """Start a stopped VM."""
    return _vm_power(vm=vm, user=user, kind=Kind.START, verb="Starting")


@transaction.atomic
def vm_shut_down(*, vm: VirtualMachine, user: AbstractBaseUser | None) -> Operation:
    """Shut down a running VM."""
    return _vm_power(vm=vm, user=user, kind=Kind.SHUT_DOWN, verb="Shutting down")


@transaction.atomic
def vm_restart(*, vm: VirtualMachine, user: AbstractBaseUser | None) -> Operation:
    """Restart a running VM."""
    return _vm_power(vm=vm, user=user, kind=Kind.RESTART, verb="Restarting")


@transaction.atomic
def vm_delete(*, vm: VirtualMachine, user: AbstractBaseUser | None, delete_cloud_service: bool = False) -> Operation:
    """Delete a VM, and its cloud service too when asked and the VM is its last."""
    locked = vm_lock_for_operation(vm=vm, kind=Kind.DELETE)
    is_last = not locked.cloud_service.virtual_machines.exclude(pk=locked.pk).exists()
    return operation_begin(
        vm=locked,
        kind=Kind.DELETE,
        title=f"Deleting virtual machine {locked.name}",
        user=user,
        details={"delete_cloud_service": bool(delete_cloud_service and is_last)},
    )


@transaction.atomic
def operations_recover_stale(*, now: datetime | None = None) -> list[Operation]:
    """Retry, or fail once out of attempts, every operation whose attempt ran past OPERATION_TIMEOUT_SECONDS.

    The worker's schedule runs this every OPERATION_SWEEP_SECONDS (vms/periodic.py). It covers every operation,
    whatever feature started it; rows another sweep holds are skipped, so several workers never recover one twice.
    """
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.OPERATION_TIMEOUT_SECONDS)
    stale = Operation.objects.filter(status=Operation.Status.IN_PROGRESS, attempt_started_at__lt=deadline)
    # The sweep runs every few seconds; a plain read first keeps it from taking row locks when nothing is stale.
    if not stale.exists():
        return []
    return [_operation_recover(operation, now) for operation in stale.select_for_update(skip_locked=True)]


def _operation_recover(operation: Operation, now: datetime) -> Operation:
    if operation.attempts < settings.OPERATION_MAX_ATTEMPTS:
        operation.attempts += 1
        operation.attempt_started_at = now
        operation.message = (
            f"The worker stopped before this operation finished; retrying "
            f"(attempt {operation.attempts} of {settings.OPERATION_MAX_ATTEMPTS})."
        )
        operation.save(update_fields=["attempts", "attempt_started_at", "message"])
        operations_changed(subscription_id=operation.subscription_id)
        _enqueue_on_commit(operation)
    else:
        vm = VirtualMachine.objects.select_for_update().filter(pk=operation.virtual_machine_id).first()
        operation_fail(
            operation,
            vm,
            f"It did not finish within {settings.OPERATION_TIMEOUT_SECONDS} seconds after "
            f"{operation.attempts} attempts and was abandoned.",
        )
    return operation


@transaction.atomic
def notification_dismiss(*, user: AbstractBaseUser, subscription: Subscription, operation_id: int) -> None:
    """Close one notification for this person; closing it again, or one of another subscription, changes nothing."""
    operation = Operation.objects.filter(pk=operation_id, subscription=subscription).first()
    if operation is None:
        raise ValidationError("There is no such notification.", code="unknown")
    if OperationDismissal.objects.filter(user=user, operation=operation).exists():
        return
    dismissal = OperationDismissal(user=user, operation=operation)
    dismissal.full_clean()
    dismissal.save()


def wizard_uploads_prune(*, older_than: float = DRAFT_MAX_AGE_SECONDS) -> int:
    """Delete uploaded certificates older than any wizard draft can live, and their runs' folders; return how many."""
    root = Path(settings.WIZARD_UPLOAD_ROOT)
    cutoff = time.time() - older_than
    removed = 0
    paths = sorted(root.rglob("*"), reverse=True) if root.exists() else []  # a folder after what is in it
    emptied = set()
    for path in paths:
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            emptied.add(path.parent)
            removed += 1
        elif path.is_dir() and (path in emptied or path.stat().st_mtime < cutoff) and not any(path.iterdir()):
            path.rmdir()  # a wizard run's own folder, once its files are gone
    return removed
