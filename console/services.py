"""The flows that compose a VM with the apps around it: deploy (wizard, Quick Create, the APIs) and configure."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from availability.models import AvailabilitySet, Membership
from availability.selectors import fault_domain_racks, set_members_per_host
from availability.services import (
    availability_set_create,
    availability_set_join,
    availability_set_leave,
    fault_domain_rack_bind,
)
from endpoints.services import endpoints_create_defaults
from fabric import placement
from fabric.passwords import password_crypt
from fabric.selectors import host_state, placement_of, region_host_states, region_racks
from fabric.services import placement_create, region_lock
from portal.models import Subscription
from portal.services import subscription_usage_add
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
from vms.services.cloud_services import cloud_service_create
from vms.services.machines import vm_create
from vms.services.operations import operation_begin, vm_lock_for_operation
from vms.services.storage import storage_account_generated_for, storage_account_region_check
from vms.services.usage import subscription_cores_check, subscription_lock


def _owned(subscription: Subscription, field: str, obj, owner_id: int | None) -> None:
    if obj is not None and owner_id != subscription.pk:
        raise ValidationError({field: ValidationError("Choose one of this subscription's own.", code="foreign")})


@sensitive_variables("admin_password")
@transaction.atomic
def virtual_machine_deploy(
    *,
    user: AbstractBaseUser | None,
    subscription: Subscription,
    image_version: ImageVersion,
    name: str,
    admin_username: str,
    size: RoleSize,
    admin_password: str = "",
    ssh_certificate: bytes | None = None,
    cloud_service: CloudService | None = None,
    dns_name: str = "",
    region: Region | None = None,
    affinity_group: AffinityGroup | None = None,
    virtual_network: VirtualNetwork | None = None,
    subnet: Subnet | None = None,
    storage_account: StorageAccount | None = None,
    availability_set: AvailabilitySet | None = None,
    availability_set_name: str = "",
) -> Operation:
    """Create a VM as the From Gallery wizard describes it, with whatever it needs, in one transaction.

    Stand-alone (dns_name) makes a new cloud service; connecting (cloud_service) joins an existing one and takes
    its region. Without a storage account the region's automatically generated one is used or made. The VM
    starts provisioning in the worker once this commits.
    """
    subscription = subscription_lock(subscription)
    _owned(subscription, "cloud_service", cloud_service, cloud_service and cloud_service.subscription_id)
    _owned(subscription, "location", affinity_group, affinity_group and affinity_group.subscription_id)
    _owned(subscription, "location", virtual_network, virtual_network and virtual_network.subscription_id)
    _owned(subscription, "storage_account", storage_account, storage_account and storage_account.subscription_id)
    if availability_set is not None and (
        cloud_service is None or availability_set.cloud_service_id != cloud_service.pk
    ):
        raise ValidationError(
            {
                "availability_set": ValidationError(
                    "Choose an availability set of the cloud service this virtual machine joins.",
                    code="other_cloud_service",
                )
            }
        )
    if virtual_network is not None and (subnet is None or subnet.virtual_network_id != virtual_network.pk):
        raise ValidationError({"subnet": ValidationError("Choose a subnet of the virtual network.", code="subnet")})

    created_cloud_service = cloud_service is None
    if cloud_service is None:
        if virtual_network is not None:
            affinity_group = virtual_network.affinity_group
        if affinity_group is not None:
            region = affinity_group.region
        if region is None:
            raise ValidationError(
                {"location": ValidationError("Choose a region, affinity group or virtual network.", code="required")}
            )
        cloud_service = cloud_service_create(
            subscription=subscription,
            name=dns_name,
            region=region,
            affinity_group=affinity_group,
            virtual_network=virtual_network,
        )
    elif (subnet.virtual_network_id if subnet else None) != cloud_service.virtual_network_id:
        raise ValidationError(
            {"subnet": ValidationError("Choose a subnet of the cloud service's virtual network.", code="subnet")}
        )
    else:
        # The locked subscription: the VM's usage is counted on it.
        cloud_service.subscription = subscription

    created_storage_account = False
    if storage_account is None:
        storage_account, created_storage_account = storage_account_generated_for(
            subscription=subscription, region=cloud_service.region
        )
    else:
        storage_account_region_check(storage_account=storage_account, region=cloud_service.region)

    # Deploys into one region take turns from here, so two never count the same free room on a host.
    region = region_lock(region_id=cloud_service.region_id)
    vm = vm_create(
        cloud_service=cloud_service,
        name=name,
        image_version=image_version,
        size=size,
        storage_account=storage_account,
        admin_username=admin_username,
        admin_password=admin_password,
        password_crypt=password_crypt(admin_password) if admin_password else "",
        ssh_certificate=ssh_certificate,
        subnet=subnet,
        user=user,
        cloud_service_is_new=created_cloud_service,
    )
    # Everything the deploy made, counted once on the locked subscription.
    subscription_usage_add(
        subscription=subscription,
        cores=size.cores,
        virtual_machines=1,
        cloud_services=int(created_cloud_service),
        storage_accounts=int(created_storage_account),
    )
    endpoints_create_defaults(vm=vm)
    membership = None
    if availability_set_name:
        availability_set = availability_set_create(cloud_service=cloud_service, name=availability_set_name)
        membership = availability_set_join(vm=vm, availability_set=availability_set, new_set=True)
    elif availability_set is not None:
        membership = availability_set_join(vm=vm, availability_set=availability_set)
    _virtual_machine_place(vm=vm, region=region, size=size, membership=membership, new_set=bool(availability_set_name))
    return operation_begin(
        vm=vm,
        kind=Operation.Kind.CREATE,
        title=f"Creating virtual machine {vm.name}",
        user=user,
        details={"created_cloud_service": created_cloud_service},
    )


def _size_of(size: RoleSize) -> placement.Size:
    return placement.Size(name=size.name, cores=size.cores, memory_mb=size.memory_mb)


def _no_room(message: str) -> ValidationError:
    return ValidationError({"size": ValidationError(message, code="no_room")})


def _virtual_machine_place(
    *, vm: VirtualMachine, region: Region, size: RoleSize, membership: Membership | None, new_set: bool
) -> None:
    """Choose the VM's host (fabric.placement) under the region's lock and place it there, or refuse beside Size."""
    racks = region_racks(region)
    if not racks:
        raise _no_room(f"{region.name} has no hosts to run virtual machines on.")
    set_id = membership.availability_set_id if membership is not None else None
    known = set_id is not None and not new_set
    bindings = fault_domain_racks(set_id) if known else {}
    members = set_members_per_host(set_id) if known else {}
    hosts = region_host_states(region, set_members=members)
    choice = placement.choose_host(
        hosts=hosts.states,
        racks=racks,
        region=region.name,
        size=_size_of(size),
        slot=(membership.fault_domain, membership.update_domain) if membership is not None else None,
        bindings=bindings,
    )
    if isinstance(choice, placement.NoRoom):
        raise _no_room(choice.message)
    placement_create(vm=vm, host_id=choice.host_id, subnet=hosts.subnets[choice.host_id])
    if choice.new_binding is not None:
        fault_domain, rack_id = choice.new_binding
        fault_domain_rack_bind(
            availability_set=membership.availability_set, fault_domain=fault_domain, rack_id=rack_id, unbound=True
        )


def _virtual_machine_resize_check(*, vm: VirtualMachine, size: RoleSize) -> None:
    """Refuse, beside Size, a size the VM's host has no room for; a VM with no placement is not checked."""
    current = placement_of(vm.pk)
    if current is None:
        return
    region_lock(region_id=current.host.rack.region_id)
    host, rack, region = host_state(current.host_id)
    refusal = placement.resize_fits(host, rack=rack, region=region, old_size=_size_of(vm.size), new_size=_size_of(size))
    if refusal is not None:
        raise _no_room(refusal.message)


@transaction.atomic
def virtual_machine_configure(
    *,
    vm: VirtualMachine,
    user: AbstractBaseUser | None,
    size: RoleSize,
    availability_set: AvailabilitySet | None = None,
    availability_set_name: str = "",
) -> Operation | None:
    """Save the Configure page: a new size and set membership, finalised by a restart in the worker.

    availability_set None with no new name means "no availability set". Returns None when nothing changed.
    """
    vm = vm_lock_for_operation(vm=vm, kind=Operation.Kind.CONFIGURE)
    current = Membership.objects.filter(virtual_machine=vm).select_related("availability_set").first()
    current_set = current.availability_set if current else None
    changes = []

    if size.pk != vm.size_id:
        subscription = subscription_lock(vm.cloud_service.subscription)
        old_cores = vm.size.cores
        subscription_cores_check(subscription=subscription, size=size, excluding=vm)
        _virtual_machine_resize_check(vm=vm, size=size)
        vm.size = size
        vm.save(update_fields=["size"])
        subscription_usage_add(subscription=subscription, cores=size.cores - old_cores)
        changes.append(f"size {size.name}")

    if availability_set_name:
        availability_set = availability_set_create(cloud_service=vm.cloud_service, name=availability_set_name)
    if availability_set is not None and availability_set != current_set:
        availability_set_join(vm=vm, availability_set=availability_set)
        changes.append(f"availability set {availability_set.name}")
    elif availability_set is None and current_set is not None:
        availability_set_leave(vm=vm)
        changes.append("no availability set")

    if not changes:
        return None
    return operation_begin(
        vm=vm,
        kind=Operation.Kind.CONFIGURE,
        title=f"Configuring virtual machine {vm.name}",
        user=user,
        details={"changes": changes},
    )
