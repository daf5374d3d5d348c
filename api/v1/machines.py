"""Virtual machines: create with the wizard's fields, read, configure, start, shut down, restart and delete."""

from __future__ import annotations

from operator import itemgetter

from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Status

from api import schemas
from api.idempotency import Answer
from api.selectors import virtual_machine_keys_for, virtual_machine_rows
from api.v1.common import (
    Choices,
    PageParams,
    create_once,
    dump,
    errors,
    id_path,
    idempotency_key_header,
    json_answer,
    page_response,
    refuse,
    subscription_of,
    token_of,
)
from api.v1.representations import operation_out, virtual_machine_out, virtual_machine_row_out
from availability.models import AvailabilitySet, Membership
from availability.selectors import virtual_machines_for
from console.forms.wizard import ModeForm
from console.services import virtual_machine_configure, virtual_machine_deploy
from vms.models import (
    AffinityGroup,
    CloudService,
    ImageVersion,
    Operation,
    StorageAccount,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)
from vms.selectors import gallery_images
from vms.services.machines import vm_delete, vm_restart, vm_shut_down, vm_start

router = Router(tags=["Virtual machines"])

LOCATIONS = ("region", "affinity_group", "virtual_network")
BOTH_MODES = "Give dns_name for a stand-alone VM in a new cloud service, or cloud_service to connect to one, not both."
ONE_LOCATION = "Choose one region, affinity group or virtual network."
CONNECTED_LOCATION = "A VM connected to a cloud service is placed where that cloud service is."
SET_AND_NEW_SET = "Choose an existing availability set or name a new one, not both."


def accepted(operation: Operation) -> JsonResponse:
    """Answer 202 with the operation to poll and where to poll it."""
    return json_answer(_accepted_answer(operation))


def _accepted_answer(operation: Operation) -> Answer:
    body = dump(
        schemas.Accepted, {"operation": operation_out(operation), "virtual_machine": operation.virtual_machine_id}
    )
    return Answer(202, body, reverse("api-1:operation", args=[operation.pk]))


def machine_or_404(request: HttpRequest, vm_id: int) -> VirtualMachine:
    """Return one of the token's subscription's VMs, or 404 whether it is missing or someone else's."""
    return get_object_or_404(virtual_machines_for(subscription_of(request)), pk=vm_id)


@router.get("/virtual-machines", response={200: schemas.VirtualMachinePage, **errors()}, url_name="virtual-machines")
def virtual_machine_list(request: HttpRequest, page: PageParams):
    """List the subscription's virtual machines with their cloud service, size and set."""
    keys = virtual_machine_keys_for(subscription_of(request))
    return page_response(keys, page, virtual_machine_rows, virtual_machine_row_out, key=itemgetter(0))


@router.get("/virtual-machines/{vm_id}", response={200: schemas.VirtualMachine, **errors()}, url_name="virtual-machine")
def virtual_machine_detail(request: HttpRequest, vm_id: int = id_path()):
    """Show a virtual machine: status, cloud service, size, and its fault and update domain in its set."""
    return virtual_machine_out(machine_or_404(request, vm_id))


def _deploy_arguments(request: HttpRequest, payload: schemas.VirtualMachineCreate) -> dict:
    """Resolve what the request names into the deploy service's arguments, refusing what is not offered."""
    subscription = subscription_of(request)
    choices = Choices()
    image = choices.one(gallery_images(), "image", pk=payload.image)
    version = None
    if image is not None:
        versions = ImageVersion.objects.filter(image=image).select_related("image").order_by("-release_date")
        version = choices.one(versions, "image_version", pk=payload.image_version) or (
            versions.first() if payload.image_version is None else None
        )
    size = choices.size(payload.size)
    connect = payload.cloud_service is not None
    locations = [field for field in LOCATIONS if getattr(payload, field) is not None]
    if connect and payload.dns_name:
        choices.refuse("cloud_service", BOTH_MODES, "mode")
    if not connect and not payload.dns_name:
        choices.refuse("dns_name", ModeForm.error_messages["dns_name_required"], "required")
    if connect and locations:
        for field in locations:
            choices.refuse(field, CONNECTED_LOCATION, "location")
    if not connect and len(locations) > 1:
        for field in locations:
            choices.refuse(field, ONE_LOCATION, "location")
    if payload.availability_set is not None and payload.availability_set_name:
        choices.refuse("availability_set_name", SET_AND_NEW_SET, "availability_set")
    own = {"subscription": subscription}
    arguments = {
        "image_version": version,
        "size": size,
        "region": choices.region(payload.region),
        "affinity_group": choices.one(
            AffinityGroup.objects.filter(**own).select_related("region"), "affinity_group", pk=payload.affinity_group
        ),
        "virtual_network": choices.one(
            VirtualNetwork.objects.filter(**own).select_related("affinity_group__region"),
            "virtual_network",
            pk=payload.virtual_network,
        ),
        "cloud_service": choices.one(
            CloudService.objects.filter(**own).select_related("region", "virtual_network"),
            "cloud_service",
            pk=payload.cloud_service,
        ),
        "storage_account": choices.one(
            StorageAccount.objects.filter(**own).select_related("region"), "storage_account", pk=payload.storage_account
        ),
        "subnet": choices.one(
            Subnet.objects.filter(virtual_network__subscription=subscription), "subnet", pk=payload.subnet
        ),
        "availability_set": choices.one(
            AvailabilitySet.objects.filter(cloud_service__subscription=subscription),
            "availability_set",
            pk=payload.availability_set,
        ),
    }
    choices.check()
    return arguments | {
        "name": payload.name.strip(),
        "admin_username": payload.admin_username.strip(),
        "admin_password": payload.admin_password,
        "ssh_certificate": payload.ssh_certificate.encode() if payload.ssh_certificate else None,
        "dns_name": payload.dns_name.strip(),
        "availability_set_name": payload.availability_set_name.strip(),
    }


@router.post("/virtual-machines", response={202: schemas.Accepted, **errors(409)})
def virtual_machine_create(
    request: HttpRequest, payload: schemas.VirtualMachineCreate, idempotency_key: str | None = idempotency_key_header()
):
    """Create a VM as New -> Virtual Machine -> From Gallery does; it provisions in the background.

    Stand-alone: dns_name and one of region, affinity_group or virtual_network make a new cloud service.
    Connected: cloud_service joins an existing one. availability_set joins a set of that cloud service;
    availability_set_name creates a set with the VM.
    """
    location_field = next((field for field in LOCATIONS if getattr(payload, field) is not None), "region")

    def create() -> Answer:
        arguments = _deploy_arguments(request, payload)
        try:
            operation = virtual_machine_deploy(
                user=token_of(request).user, subscription=subscription_of(request), **arguments
            )
        except ValidationError as error:
            raise refuse(error, location=location_field) from error
        return _accepted_answer(operation)

    return create_once(request, idempotency_key, create)


@router.post(
    "/virtual-machines/{vm_id}/configure",
    response={200: schemas.VirtualMachine, 202: schemas.Accepted, **errors(409)},
    url_name="virtual-machine-configure",
)
def virtual_machine_configure_route(
    request: HttpRequest, payload: schemas.VirtualMachineConfigure, vm_id: int = id_path()
):
    """Change a VM's size and availability set as its Configure tab does; the VM restarts to apply them.

    A field left out keeps its value; availability_set null takes the VM out of its set; availability_set_name
    creates a set in the VM's cloud service and moves the VM into it. With nothing to change the answer is 200
    with the VM as it is.
    """
    vm = machine_or_404(request, vm_id)
    choices = Choices()
    size = choices.size(payload.size) if payload.size is not None else vm.size
    if "availability_set" in payload.model_fields_set:
        availability_set = choices.one(
            AvailabilitySet.objects.filter(cloud_service__subscription=subscription_of(request)),
            "availability_set",
            pk=payload.availability_set,
        )
        if payload.availability_set_name:
            choices.refuse("availability_set_name", SET_AND_NEW_SET, "availability_set")
    else:
        membership = Membership.objects.filter(virtual_machine=vm).select_related("availability_set").first()
        availability_set = membership.availability_set if membership else None
    choices.check()
    try:
        operation = virtual_machine_configure(
            vm=vm,
            user=token_of(request).user,
            size=size,
            availability_set=availability_set,
            availability_set_name=payload.availability_set_name.strip(),
        )
    except ValidationError as error:
        raise refuse(error) from error
    if operation is None:
        return Status(200, virtual_machine_out(machine_or_404(request, vm_id)))
    return accepted(operation)


def _power(request: HttpRequest, vm_id: int, command) -> JsonResponse:
    vm = machine_or_404(request, vm_id)
    try:
        operation = command(vm=vm, user=token_of(request).user)
    except ValidationError as error:
        raise refuse(error) from error
    return accepted(operation)


@router.post("/virtual-machines/{vm_id}/start", response={202: schemas.Accepted, **errors(409)})
def virtual_machine_start(request: HttpRequest, vm_id: int = id_path()):
    """Start a stopped VM."""
    return _power(request, vm_id, vm_start)


@router.post("/virtual-machines/{vm_id}/shutdown", response={202: schemas.Accepted, **errors(409)})
def virtual_machine_shut_down(request: HttpRequest, vm_id: int = id_path()):
    """Shut down a running VM."""
    return _power(request, vm_id, vm_shut_down)


@router.post("/virtual-machines/{vm_id}/restart", response={202: schemas.Accepted, **errors(409)})
def virtual_machine_restart(request: HttpRequest, vm_id: int = id_path()):
    """Restart a running VM."""
    return _power(request, vm_id, vm_restart)


@router.delete("/virtual-machines/{vm_id}", response={202: schemas.Accepted, **errors(409)})
def virtual_machine_delete(request: HttpRequest, vm_id: int = id_path(), delete_cloud_service: bool = Query(False)):
    """Delete a VM; delete_cloud_service also deletes its cloud service when this VM is its last."""
    vm = machine_or_404(request, vm_id)
    try:
        operation = vm_delete(vm=vm, user=token_of(request).user, delete_cloud_service=delete_cloud_service)
    except ValidationError as error:
        raise refuse(error) from error
    return accepted(operation)
