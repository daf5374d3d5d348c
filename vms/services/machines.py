"""Writes for virtual machines: the name check, create, the power commands, hold and release, delete."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from vms.models import CloudService, ImageVersion, Operation, OSFamily, RoleSize, StorageAccount, Subnet, VirtualMachine
from vms.services.cloud_services import cloud_service_capacity_check
from vms.services.operations import operation_begin, vm_lock_for_operation
from vms.services.usage import subscription_cores_check, subscription_lock
from vms.validators import (
    ssh_certificate_read,
    validate_admin_password,
    validate_admin_username,
    validate_vm_name,
)

Status = VirtualMachine.Status
Kind = Operation.Kind

SSH_ON_WINDOWS = "An SSH certificate is for Linux images; a Windows VM signs in with its password."


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
    password_crypt: str = "",
    ssh_certificate: bytes | None = None,
    subnet: Subnet | None = None,
    user: AbstractBaseUser | None = None,
    cloud_service_is_new: bool = False,
) -> VirtualMachine:
    """Create a VM record in Starting (Provisioning) under its subscription's lock; the caller counts its usage.

    The subscription's row is locked before the capacity and core quota checks (a caller that already holds the
    lock, as virtual_machine_deploy does, takes it again at no cost). A cloud service made in this transaction holds
    no VMs yet, so its capacity check is skipped. A name taken in the cloud service is refused by the database's
    unique index, with the message vm_name_check gives. password_crypt is the password's crypt hash for the guest
    (the deploy makes it with fabric.passwords), kept beside the portal's own hash.
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
    certificate = None
    if ssh_certificate and os_family == OSFamily.WINDOWS:
        errors["ssh_certificate"] = ValidationError(SSH_ON_WINDOWS, code="invalid")
    elif ssh_certificate:
        try:
            certificate = ssh_certificate_read(ssh_certificate)
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
        password_crypt=password_crypt if admin_password else "",
        ssh_certificate_thumbprint=certificate.thumbprint if certificate else "",
        ssh_public_key=certificate.public_key if certificate else "",
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


def virtual_machines_not_holdable(*, vms: list[VirtualMachine]) -> tuple[VirtualMachine, str] | None:
    """The first of these locked VMs that may not be held now, and why: "held" (something else holds it) or "busy"
    (an operation is in progress on it, or it is passing between states); None when all may be held."""
    busy = set(
        Operation.objects.filter(
            virtual_machine_id__in=[vm.pk for vm in vms], status=Operation.Status.IN_PROGRESS
        ).values_list("virtual_machine_id", flat=True)
    )
    for vm in vms:
        if vm.held_by:
            return vm, "held"
        if vm.is_busy or vm.pk in busy:
            return vm, "busy"
    return None


def virtual_machines_hold(*, vms: list[VirtualMachine], holder: str) -> None:
    """Hold locked VMs for `holder` (such as a drill): until released, every command on them is refused."""
    for vm in vms:
        vm.held_by = holder
        vm.save(update_fields=["held_by"])


def virtual_machines_release(*, vm_ids: list[int], holder: str) -> int:
    """Release the VMs `holder` holds; return how many it held."""
    return VirtualMachine.objects.filter(pk__in=vm_ids, held_by=holder).update(held_by="")


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
