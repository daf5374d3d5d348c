"""Affinity groups, virtual networks, storage accounts and cloud services of the token's subscription."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router

from api import schemas
from api.idempotency import Answer
from api.v1.common import (
    Choices,
    PageParams,
    create_once,
    dump,
    errors,
    form_refusal,
    id_path,
    idempotency_key_header,
    page_out,
    refuse,
    subscription_of,
)
from api.v1.representations import (
    affinity_group_out,
    cloud_service_out,
    storage_account_out,
    virtual_network_out,
)
from availability.selectors import cloud_services_for
from vms import selectors
from vms.list_forms import AffinityGroupForm, StorageAccountForm, VirtualNetworkForm
from vms.models import AffinityGroup, Region, VirtualNetwork
from vms.services import cloud_services, storage, usage
from vms.services import networks as network_services

router = Router(tags=["Networks, storage and cloud services"])


def _region_pk(name: str) -> int | str:
    """The region's key for a portal form, or the name itself so that the form refuses it in its own words."""
    region = Region.objects.filter(name=name).first()
    return region.pk if region else name


# Affinity groups


@router.get("/affinity-groups", response={200: schemas.AffinityGroupPage, **errors()}, url_name="affinity-groups")
def affinity_group_list(request: HttpRequest, page: PageParams):
    """List the subscription's affinity groups."""
    return page_out(selectors.affinity_group_list(subscription=subscription_of(request)), page, affinity_group_out)


@router.get("/affinity-groups/{group_id}", response={200: schemas.AffinityGroup, **errors()}, url_name="affinity-group")
def affinity_group_detail(request: HttpRequest, group_id: int = id_path()):
    """Show one of the subscription's affinity groups."""
    subscription = subscription_of(request)
    return affinity_group_out(get_object_or_404(selectors.affinity_group_list(subscription=subscription), pk=group_id))


@router.post("/affinity-groups", response={201: schemas.AffinityGroup, **errors(409)})
def affinity_group_create(
    request: HttpRequest, payload: schemas.AffinityGroupCreate, idempotency_key: str | None = idempotency_key_header()
):
    """Create an affinity group in a region, as the Networks page does."""
    subscription = subscription_of(request)

    def create() -> Answer:
        form = AffinityGroupForm({"name": payload.name, "region": _region_pk(payload.region)})
        if not form.is_valid():
            raise form_refusal(form)
        try:
            group = network_services.affinity_group_create(subscription=subscription, **form.cleaned_data)
        except ValidationError as error:
            raise refuse(error) from error
        return Answer(
            201,
            dump(schemas.AffinityGroup, affinity_group_out(group)),
            reverse("api-1:affinity-group", args=[group.pk]),
        )

    return create_once(request, idempotency_key, create)


# Virtual networks


@router.get("/virtual-networks", response={200: schemas.VirtualNetworkPage, **errors()}, url_name="virtual-networks")
def virtual_network_list(request: HttpRequest, page: PageParams):
    """List the subscription's virtual networks with their subnets."""
    return page_out(selectors.virtual_network_list(subscription=subscription_of(request)), page, virtual_network_out)


@router.get(
    "/virtual-networks/{network_id}", response={200: schemas.VirtualNetwork, **errors()}, url_name="virtual-network"
)
def virtual_network_detail(request: HttpRequest, network_id: int = id_path()):
    """Show one of the subscription's virtual networks."""
    networks = selectors.virtual_network_list(subscription=subscription_of(request))
    return virtual_network_out(get_object_or_404(networks, pk=network_id))


@router.post("/virtual-networks", response={201: schemas.VirtualNetwork, **errors(409)})
def virtual_network_create(
    request: HttpRequest, payload: schemas.VirtualNetworkCreate, idempotency_key: str | None = idempotency_key_header()
):
    """Create a virtual network in an affinity group with its first subnet, as the Networks page does."""
    subscription = subscription_of(request)

    def create() -> Answer:
        form = VirtualNetworkForm(payload.model_dump(), subscription=subscription)
        if not form.is_valid():
            raise form_refusal(form)
        data = form.cleaned_data
        try:
            network = network_services.virtual_network_create(
                subscription=subscription,
                name=data["name"],
                affinity_group=data["affinity_group"],
                address_space=data["address_space"],
                subnets=[(data["subnet_name"], data["subnet_address_prefix"])],
            )
        except ValidationError as error:
            raise refuse(error) from error
        network = selectors.virtual_network_list(subscription=subscription).get(pk=network.pk)
        return Answer(
            201,
            dump(schemas.VirtualNetwork, virtual_network_out(network)),
            reverse("api-1:virtual-network", args=[network.pk]),
        )

    return create_once(request, idempotency_key, create)


# Storage accounts


@router.get("/storage-accounts", response={200: schemas.StorageAccountPage, **errors()}, url_name="storage-accounts")
def storage_account_list(request: HttpRequest, page: PageParams):
    """List the subscription's storage accounts."""
    return page_out(selectors.storage_account_list(subscription=subscription_of(request)), page, storage_account_out)


@router.get(
    "/storage-accounts/{account_id}", response={200: schemas.StorageAccount, **errors()}, url_name="storage-account"
)
def storage_account_detail(request: HttpRequest, account_id: int = id_path()):
    """Show one of the subscription's storage accounts."""
    accounts = selectors.storage_account_list(subscription=subscription_of(request))
    return storage_account_out(get_object_or_404(accounts, pk=account_id))


@router.post("/storage-accounts", response={201: schemas.StorageAccount, **errors(409)})
def storage_account_create(
    request: HttpRequest, payload: schemas.StorageAccountCreate, idempotency_key: str | None = idempotency_key_header()
):
    """Create a named storage account in a region, as the Storage page does."""
    subscription = subscription_of(request)

    def create() -> Answer:
        form = StorageAccountForm({"name": payload.name, "region": _region_pk(payload.region)})
        if not form.is_valid():
            raise form_refusal(form)
        try:
            account = storage.storage_account_create(subscription=subscription, **form.cleaned_data)
        except ValidationError as error:
            raise refuse(error) from error
        return Answer(
            201,
            dump(schemas.StorageAccount, storage_account_out(account)),
            reverse("api-1:storage-account", args=[account.pk]),
        )

    return create_once(request, idempotency_key, create)


# Cloud services


@router.get("/cloud-services", response={200: schemas.CloudServicePage, **errors()}, url_name="cloud-services")
def cloud_service_list(request: HttpRequest, page: PageParams):
    """List the subscription's cloud services."""
    return page_out(cloud_services_for(subscription_of(request)), page, cloud_service_out)


@router.get("/cloud-services/{service_id}", response={200: schemas.CloudService, **errors()}, url_name="cloud-service")
def cloud_service_detail(request: HttpRequest, service_id: int = id_path()):
    """Show one of the subscription's cloud services."""
    return cloud_service_out(get_object_or_404(cloud_services_for(subscription_of(request)), pk=service_id))


@router.post("/cloud-services", response={201: schemas.CloudService, **errors(409)})
def cloud_service_create(
    request: HttpRequest, payload: schemas.CloudServiceCreate, idempotency_key: str | None = idempotency_key_header()
):
    """Create an empty cloud service at NAME.cloudapp.net in a region, affinity group or virtual network."""
    subscription = subscription_of(request)

    def create() -> Answer:
        choices = Choices()
        given = [field for field in ("region", "affinity_group", "virtual_network") if getattr(payload, field)]
        if len(given) != 1:
            for field in given or ["region"]:
                choices.refuse(field, "Choose one region, affinity group or virtual network.", "location")
        region = choices.region(payload.region)
        group = choices.one(
            AffinityGroup.objects.filter(subscription=subscription), "affinity_group", pk=payload.affinity_group
        )
        network = choices.one(
            VirtualNetwork.objects.filter(subscription=subscription).select_related("affinity_group__region"),
            "virtual_network",
            pk=payload.virtual_network,
        )
        choices.check()
        if network is not None:
            group = network.affinity_group
        if group is not None:
            region = group.region
        try:
            with transaction.atomic():
                service = cloud_services.cloud_service_create(
                    subscription=usage.subscription_lock(subscription),
                    name=payload.dns_name,
                    region=region,
                    affinity_group=group,
                    virtual_network=network,
                )
        except ValidationError as error:
            raise refuse(error) from error
        return Answer(
            201,
            dump(schemas.CloudService, cloud_service_out(service)),
            reverse("api-1:cloud-service", args=[service.pk]),
        )

    return create_once(request, idempotency_key, create)
