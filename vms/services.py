"""Writes for the catalog's users: networks, storage, cloud services, VMs and the operations on them."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from portal.models import Subscription
from vms.models import (
    AffinityGroup,
    CloudService,
    ImageVersion,
    Operation,
    Region,
    RoleSize,
    StorageAccount,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)
from vms.operations import TRANSITIONS, operation_fail
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
    """Count the cores the subscription's VMs hold (a shared core counts as a full one)."""
    vms = VirtualMachine.objects.filter(cloud_service__subscription=subscription)
    if excluding is not None:
        vms = vms.exclude(pk=excluding.pk)
    return vms.aggregate(total=Sum("size__cores"))["total"] or 0


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
        subnet.full_clean()
        subnet.save()
    return network


# Checks: each rule once, keyed by the field a person fixes it in. The services call them before writing, and the
# wizard's forms call them to show the message on the page where the field is.


def storage_account_quota_check(*, subscription: Subscription, field: str = "storage_account") -> None:
    """Refuse another storage account once the subscription has its quota of them."""
    if subscription.storage_accounts.count() >= subscription.storage_account_quota:
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
    if subscription.cloud_services.count() >= subscription.cloud_service_quota:
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
    return account


def storage_account_generated_for(*, subscription: Subscription, region: Region) -> StorageAccount:
    """Return the subscription's automatically generated account in a region, creating it the first time."""
    existing = StorageAccount.objects.filter(subscription=subscription, region=region, automatically_generated=True)
    if account := existing.first():
        return account
    storage_account_quota_check(subscription=subscription)
    account = StorageAccount(
        subscription=subscription,
        region=region,
        name=f"portalvhds{secrets.token_hex(7)}",
        automatically_generated=True,
    )
    account.full_clean()
    account.save()
    return account


def cloud_service_create(
    *,
    subscription: Subscription,
    name: str,
    region: Region,
    affinity_group: AffinityGroup | None = None,
    virtual_network: VirtualNetwork | None = None,
) -> CloudService:
    """Create a cloud service under the subscription's quota; its DNS name must be free everywhere."""
    dns_name_check(name)
    cloud_service_quota_check(subscription=subscription)
    service = CloudService(
        subscription=subscription,
        name=name,
        region=region,
        affinity_group=affinity_group,
        virtual_network=virtual_network,
    )
    service.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            service.save()
    except IntegrityError as error:
        raise _dns_name_taken(name) from error
    return service


def vm_name_check(
    *, cloud_service: CloudService, name: str, os_family: str, excluding: VirtualMachine | None = None
) -> None:
    """Refuse a VM name that breaks its operating system's rules or is taken in the cloud service."""
    validate_vm_name(name, os_family)
    others = cloud_service.virtual_machines.all()
    if excluding is not None:
        others = others.exclude(pk=excluding.pk)
    if others.filter(name__iexact=name).exists():
        raise ValidationError(
            "The cloud service %(service)s already has a virtual machine named %(name)s.",
            code="vm_name_taken",
            params={"service": cloud_service.name, "name": name},
        )


@sensitive_variables("admin_password")
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
) -> VirtualMachine:
    """Create a VM record in Starting (Provisioning); the caller holds the subscription's lock."""
    os_family = image_version.image.os_family
    errors: dict[str, ValidationError] = {}
    for field, check in (
        ("name", lambda: vm_name_check(cloud_service=cloud_service, name=name, os_family=os_family)),
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
    cloud_service_capacity_check(cloud_service=cloud_service)
    subscription_cores_check(subscription=cloud_service.subscription, size=size)
    vm = VirtualMachine(
        cloud_service=cloud_service,
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
    vm.full_clean(validate_unique=False, validate_constraints=False)
    vm.save()
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
    locked = VirtualMachine.objects.select_for_update().select_related("cloud_service").get(pk=vm.pk)
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
    vm.status = TRANSITIONS[kind].running
    vm.save(update_fields=["status"])
    try:
        with transaction.atomic():
            operation = Operation.objects.create(
                subscription_id=vm.cloud_service.subscription_id,
                requested_by=user if user and user.is_authenticated else None,
                kind=kind,
                virtual_machine=vm,
                target_name=vm.name,
                title=title,
                details=details or {},
            )
    except IntegrityError as error:
        raise ValidationError(
            "Another operation is in progress on %(name)s.", code="busy", params={"name": vm.name}
        ) from error
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


def operations_recover_stale(
    *, subscription: Subscription | None = None, now: datetime | None = None
) -> list[Operation]:
    """Retry, or fail once out of attempts, every operation whose worker stopped before finishing it."""
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.OPERATION_TIMEOUT_SECONDS)
    stale = Operation.objects.filter(status=Operation.Status.IN_PROGRESS, attempt_started_at__lt=deadline)
    if subscription is not None:
        stale = stale.filter(subscription=subscription)
    # Pages poll this; a plain read first keeps them from taking a write lock when nothing is stale.
    if not stale.exists():
        return []
    with transaction.atomic():
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
