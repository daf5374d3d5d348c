"""Writes behind the classic Service Management API: each maps a classic call onto the portal's own services.

The rules and messages are the portal's: a name the wizard refuses is refused here with the same words.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from availability.models import AvailabilitySet, Membership
from classic.bodies import InputEndpoint, RoleSpec
from classic.certificates import certificate_read
from classic.errors import BadRequest, Conflict, NotFound
from classic.models import ClassicCloudService, ClassicRequest, ManagementCertificate
from classic.selectors import deployment_name, image_version_named
from console.services import virtual_machine_configure, virtual_machine_deploy
from endpoints.models import LoadBalancedSet
from endpoints.services import endpoint_create, endpoint_delete, endpoint_update
from portal.errors import CONFLICT_CODES
from portal.models import Subscription
from vms.models import (
    AffinityGroup,
    CloudService,
    Operation,
    Region,
    RoleSize,
    StorageAccount,
    VirtualMachine,
    VirtualNetwork,
)
from vms.services.cloud_services import cloud_service_add, cloud_service_delete, cloud_service_virtual_network_set
from vms.services.machines import vm_delete, vm_restart, vm_shut_down, vm_start
from vms.services.usage import subscription_lock

DEFAULT_ROLE_SIZE = "Small"
SHUTDOWN_ACTIONS = {"Stopped", "StoppedDeallocated"}


def request_record(
    *, subscription: Subscription, operations: Iterable[Operation] = (), http_status_code: int = 200
) -> ClassicRequest:
    """Keep a write request's outcome for Get Operation Status: its operations', or done at once."""
    operations = [operation for operation in operations if operation is not None]
    record = ClassicRequest.objects.create(
        subscription=subscription,
        status=ClassicRequest.Status.IN_PROGRESS if operations else ClassicRequest.Status.SUCCEEDED,
        http_status_code=http_status_code,
    )
    record.operations.set(operations)
    return record


@transaction.atomic
def hosted_service_create(
    *,
    subscription: Subscription,
    service_name: str,
    label: str,
    description: str = "",
    location: str = "",
    affinity_group: str = "",
) -> CloudService:
    """Create Cloud Service: an empty cloud service in a location or an affinity group."""
    if bool(location) == bool(affinity_group):
        raise BadRequest("Give either Location or AffinityGroup, not both and not neither.")
    if not label:
        raise BadRequest("Label is required.", code="MissingOrIncorrectlyOrderedParameter")
    group = None
    if affinity_group:
        group = AffinityGroup.objects.filter(subscription=subscription, name__iexact=affinity_group).first()
        if group is None:
            raise BadRequest(f"The affinity group {affinity_group} does not exist in this subscription.")
        region = group.region
    else:
        region = Region.objects.filter(name__iexact=location).first()
        if region is None:
            raise BadRequest(f"The location {location} is not valid. List Locations names the valid ones.")
    service = cloud_service_add(subscription=subscription, name=service_name, region=region, affinity_group=group)
    ClassicCloudService.objects.create(cloud_service=service, label=label[:100], description=description)
    return service


def hosted_service_delete(*, cloud_service: CloudService) -> None:
    """Delete Cloud Service; it must hold no deployment, as on the platform."""
    if cloud_service.virtual_machines.exists():
        raise Conflict(
            f"The cloud service {cloud_service.name} has a deployment in the production slot. Delete the "
            "deployment first.",
        )
    cloud_service_delete(cloud_service=cloud_service)


def _size(name: str | None) -> RoleSize:
    size = RoleSize.objects.filter(name__iexact=name or DEFAULT_ROLE_SIZE).first()
    if size is None:
        raise BadRequest(f"The role size {name} is not valid. List Role Sizes names the valid ones.")
    return size


def _deploy(
    *, subscription: Subscription, user: AbstractBaseUser | None, cloud_service: CloudService, spec: RoleSpec
) -> Operation:
    """Create one role's VM in a cloud service through the portal's deploy, as the wizard's second path does."""
    image_version = image_version_named(spec.source_image_name)
    if image_version is None:
        raise BadRequest(f"The image {spec.source_image_name} does not exist. List OS Images names the images.")
    if image_version.image.os_family != spec.os_family:
        raise BadRequest(
            f"The image {spec.source_image_name} is a {image_version.image.get_os_family_display()} image; give "
            f"the matching provisioning configuration set."
        )
    storage_account = None
    if spec.storage_account_name:
        storage_account = StorageAccount.objects.filter(
            subscription=subscription, name=spec.storage_account_name
        ).first()
        if storage_account is None:
            raise BadRequest(f"The storage account {spec.storage_account_name} was not found in this subscription.")
    subnet = None
    if spec.subnet_names:
        network = cloud_service.virtual_network
        if network is None:
            raise BadRequest("SubnetNames are given but the deployment is in no virtual network.")
        subnet = network.subnets.filter(name__iexact=spec.subnet_names[0]).first()
        if subnet is None:
            raise BadRequest(f"The virtual network {network.name} has no subnet {spec.subnet_names[0]}.")
    availability_set = None
    set_name = spec.availability_set_name or ""
    if set_name:
        availability_set = AvailabilitySet.objects.filter(cloud_service=cloud_service, name__iexact=set_name).first()
    operation = virtual_machine_deploy(
        user=user,
        subscription=subscription,
        image_version=image_version,
        name=spec.role_name,
        admin_username=spec.admin_username,
        admin_password=spec.admin_password,
        size=_size(spec.role_size),
        cloud_service=cloud_service,
        subnet=subnet,
        storage_account=storage_account,
        availability_set=availability_set,
        availability_set_name="" if availability_set else set_name,
    )
    _input_endpoints_apply(operation.virtual_machine, spec.input_endpoints)
    return operation


def _input_endpoints_apply(vm: VirtualMachine, endpoints: tuple[InputEndpoint, ...]) -> None:
    """Give a new VM the input endpoints its network configuration names, through the portal's endpoint rules.

    The VM already has the endpoint the platform gives its operating system (Remote Desktop or SSH); a listed
    endpoint for the same protocol and private port takes that one over, with the listed name and public port.
    """
    defaults = {(endpoint.protocol, endpoint.private_port): endpoint for endpoint in vm.endpoints.all()}
    for listed in endpoints:
        if listed.port is None or listed.local_port is None:
            raise BadRequest(f"InputEndpoint {listed.name} needs a Port and a LocalPort.")
        default = defaults.pop((listed.protocol, listed.local_port), None)
        if default is not None and not listed.load_balanced_set_name:
            endpoint_update(
                endpoint=default,
                name=listed.name,
                protocol=listed.protocol,
                public_port=listed.port,
                private_port=listed.local_port,
            )
            continue
        if default is not None:
            endpoint_delete(endpoint=default)
        existing = (
            LoadBalancedSet.objects.filter(
                cloud_service_id=vm.cloud_service_id, name__iexact=listed.load_balanced_set_name
            ).first()
            if listed.load_balanced_set_name
            else None
        )
        probe = {}
        if listed.load_balanced_set_name and existing is None:
            probe = {
                "load_balanced_set_name": listed.load_balanced_set_name,
                "probe_protocol": listed.probe_protocol or "tcp",
                "probe_port": listed.probe_port or listed.local_port,
                "probe_path": listed.probe_path,
            }
        endpoint_create(
            vm=vm,
            name=listed.name,
            protocol=listed.protocol,
            public_port=listed.port,
            private_port=listed.local_port,
            load_balanced_set=existing,
            **probe,
        )


@sensitive_variables("spec")
@transaction.atomic
def deployment_create(
    *,
    subscription: Subscription,
    user: AbstractBaseUser | None,
    cloud_service: CloudService,
    name: str,
    slot: str,
    label: str,
    spec: RoleSpec,
    virtual_network_name: str = "",
) -> Operation:
    """Create Virtual Machine Deployment: the cloud service's first VM, in the production slot."""
    if slot.lower() != "production":
        raise BadRequest("Virtual machines are deployed to the production slot only.")
    subscription = subscription_lock(subscription)
    if cloud_service.virtual_machines.exists():
        raise Conflict(f"The cloud service {cloud_service.name} already has a deployment in the production slot.")
    if virtual_network_name:
        network = VirtualNetwork.objects.filter(subscription=subscription, name__iexact=virtual_network_name).first()
        if network is None:
            raise BadRequest(f"The virtual network {virtual_network_name} does not exist in this subscription.")
        cloud_service = cloud_service_virtual_network_set(cloud_service=cloud_service, virtual_network=network)
    operation = _deploy(subscription=subscription, user=user, cloud_service=cloud_service, spec=spec)
    ClassicCloudService.objects.update_or_create(
        cloud_service=cloud_service, defaults={"deployment_name": name, "deployment_label": label[:100]}
    )
    return operation


@sensitive_variables("spec")
@transaction.atomic
def role_add(
    *, subscription: Subscription, user: AbstractBaseUser | None, cloud_service: CloudService, spec: RoleSpec
) -> Operation:
    """Add Role: another VM in the deployment, in its availability set when one is named (the seed's Step 2)."""
    return _deploy(subscription=subscription, user=user, cloud_service=cloud_service, spec=spec)


@transaction.atomic
def role_update(*, vm: VirtualMachine, user: AbstractBaseUser | None, spec: RoleSpec) -> Operation | None:
    """Update Role: size and availability set, as the Configure page saves them (the seed's Steps 3 and 4).

    An absent AvailabilitySetName leaves the membership as it is; an empty one takes the VM out of its set.
    """
    if spec.has_network_configuration:
        raise BadRequest(
            "Changing endpoints or subnets through Update Role is not supported here; change them on the "
            "portal's Endpoints tab.",
            code="NotSupported",
        )
    if spec.role_name.lower() != vm.name.lower():
        raise BadRequest(f"RoleName {spec.role_name} does not match the role {vm.name} in the address.")
    size = vm.size if spec.role_size is None else _size(spec.role_size)
    membership = Membership.objects.filter(virtual_machine=vm).select_related("availability_set").first()
    availability_set = membership.availability_set if membership else None
    new_set_name = ""
    if spec.availability_set_name is not None:
        availability_set = None
        if spec.availability_set_name:
            availability_set = AvailabilitySet.objects.filter(
                cloud_service_id=vm.cloud_service_id, name__iexact=spec.availability_set_name
            ).first()
            new_set_name = "" if availability_set else spec.availability_set_name
    return virtual_machine_configure(
        vm=vm, user=user, size=size, availability_set=availability_set, availability_set_name=new_set_name
    )


@transaction.atomic
def role_delete(*, vm: VirtualMachine, user: AbstractBaseUser | None) -> Operation:
    """Delete Role; the last role of a deployment goes with Delete Deployment, as on the platform."""
    if not vm.cloud_service.virtual_machines.exclude(pk=vm.pk).exists():
        raise BadRequest(
            f"{vm.name} is the only role in the deployment; delete the deployment instead.",
            code="BadRequest",
        )
    return vm_delete(vm=vm, user=user)


@transaction.atomic
def deployment_delete(*, cloud_service: CloudService, user: AbstractBaseUser | None) -> list[Operation]:
    """Delete Deployment: every VM of the cloud service; the cloud service stays. All or nothing."""
    return [vm_delete(vm=vm, user=user) for vm in cloud_service.virtual_machines.order_by("pk")]


ROLE_OPERATIONS = {
    "StartRoleOperation": vm_start,
    "RestartRoleOperation": vm_restart,
    "ShutdownRoleOperation": vm_shut_down,
}


def role_instance_operation(
    *, vm: VirtualMachine, user: AbstractBaseUser | None, operation_type: str, post_shutdown_action: str = ""
) -> Operation:
    """Start, restart or shut down a role instance; both shutdown actions leave the VM Stopped."""
    if operation_type == "ShutdownRoleOperation" and post_shutdown_action not in SHUTDOWN_ACTIONS:
        raise BadRequest("PostShutdownAction must be Stopped or StoppedDeallocated.")
    return ROLE_OPERATIONS[operation_type](vm=vm, user=user)


def deployment_of(cloud_service: CloudService, name: str) -> CloudService:
    """The cloud service whose deployment has this name, or NotFound."""
    if not cloud_service.virtual_machines.exists() or name.lower() != deployment_name(cloud_service).lower():
        raise NotFound(f"The deployment {name} does not exist in the cloud service {cloud_service.name}.")
    return cloud_service


def validation_to_api_error(error: ValidationError) -> BadRequest | Conflict:
    """Carry a portal rule's message out as the platform's error: taken names and busy VMs conflict."""
    details = error.error_dict.items() if hasattr(error, "error_dict") else [("", error.error_list)]
    messages, codes = [], set()
    for _, errors in details:
        for item in errors:
            codes.add(item.code)
            messages.extend(item.messages)
    message = " ".join(dict.fromkeys(messages))
    return Conflict(message) if codes & CONFLICT_CODES else BadRequest(message)


@transaction.atomic
def management_certificate_upload(
    *, subscription: Subscription, user: AbstractBaseUser, data: bytes
) -> ManagementCertificate:
    """Add a management certificate to a subscription the person belongs to; only the public part is kept."""
    if not subscription.members.filter(pk=user.pk).exists():
        raise ValidationError("You can only add certificates to a subscription you belong to.", code="not_member")
    facts = certificate_read(data)
    if facts.not_after <= timezone.now():
        raise ValidationError({"certificate": ValidationError("This certificate has expired.", code="expired")})
    certificate = ManagementCertificate(
        subscription=subscription,
        uploaded_by=user,
        thumbprint=facts.thumbprint,
        subject=facts.subject,
        not_after=facts.not_after,
    )
    certificate.full_clean(exclude=["subscription", "uploaded_by"], validate_constraints=False)
    try:
        certificate.validate_constraints()
    except ValidationError as error:
        raise ValidationError({"certificate": error.messages}) from error
    certificate.save()
    return certificate


@transaction.atomic
def management_certificate_delete(*, certificate: ManagementCertificate) -> None:
    """Remove a management certificate; scripts presenting it are refused from then on."""
    certificate.delete()
