"""Input endpoints of a VM, stand-alone or in load-balanced sets, and the sets of a cloud service with rotation."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
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
    id_path,
    idempotency_key_header,
    page_out,
    refuse,
    subscription_of,
)
from api.v1.representations import endpoint_out, load_balanced_set_out
from endpoints.models import Endpoint, LoadBalancedSet
from endpoints.selectors import cloud_services_for, endpoints_for, virtual_machines_for
from endpoints.services import endpoint_create, endpoint_delete, endpoint_update
from portal.models import Subscription

router = Router(tags=["Endpoints and load-balanced sets"])

SET_AND_NEW_SET = "Choose an existing load-balanced set or name a new one, not both."


def _sets(subscription: Subscription) -> QuerySet[LoadBalancedSet]:
    members = Endpoint.objects.select_related("virtual_machine").order_by("virtual_machine__name", "pk")
    return (
        LoadBalancedSet.objects.filter(cloud_service__subscription=subscription)
        .select_related("cloud_service")
        .prefetch_related(Prefetch("members", queryset=members))
    )


def _given(value, default):
    """A field the request gave, or else what the portal's form fills in for it."""
    return default if value is None else value


def _set_out(lb_set: LoadBalancedSet) -> dict:
    return load_balanced_set_out(lb_set, lb_set.members.all())


@router.get(
    "/virtual-machines/{vm_id}/endpoints",
    response={200: schemas.EndpointPage, **errors()},
    url_name="virtual-machine-endpoints",
)
def endpoint_list(request: HttpRequest, page: PageParams, vm_id: int = id_path()):
    """List a VM's input endpoints, each with its load-balanced set and whether it is in rotation."""
    subscription = subscription_of(request)
    vm = get_object_or_404(virtual_machines_for(subscription), pk=vm_id)
    return page_out(endpoints_for(subscription).filter(virtual_machine=vm), page, endpoint_out)


@router.post("/virtual-machines/{vm_id}/endpoints", response={201: schemas.Endpoint, **errors(409)})
def endpoint_create_route(
    request: HttpRequest,
    payload: schemas.EndpointCreate,
    vm_id: int = id_path(),
    idempotency_key: str | None = idempotency_key_header(),
):
    """Add an endpoint as the Endpoints tab's Add does: stand-alone, into a set, or creating a set with its probe.

    load_balanced_set joins an existing set of the VM's cloud service (the member shares its ports);
    load_balanced_set_name creates a set with the probe given by the probe_ fields.
    """
    subscription = subscription_of(request)
    vm = get_object_or_404(virtual_machines_for(subscription), pk=vm_id)

    def create() -> Answer:
        choices = Choices()
        lb_set = choices.one(
            LoadBalancedSet.objects.filter(cloud_service__subscription=subscription),
            "load_balanced_set",
            pk=payload.load_balanced_set,
        )
        if payload.load_balanced_set is not None and payload.load_balanced_set_name.strip():
            choices.refuse("load_balanced_set_name", SET_AND_NEW_SET, "load_balanced_set")
        choices.check()
        creating_set = lb_set is None and bool(payload.load_balanced_set_name.strip())
        probe_path = payload.probe_path if payload.probe_protocol != "tcp" else ""
        try:
            endpoint = endpoint_create(
                vm=vm,
                name=payload.name,
                protocol=_given(payload.protocol, lb_set.protocol if lb_set else "tcp"),
                public_port=_given(payload.public_port, lb_set.public_port if lb_set else None),
                private_port=_given(payload.private_port, lb_set.private_port if lb_set else None),
                load_balanced_set=lb_set,
                load_balanced_set_name=payload.load_balanced_set_name,
                probe_protocol=payload.probe_protocol,
                probe_port=payload.private_port if payload.probe_port is None else payload.probe_port,
                probe_path=probe_path if creating_set else "",
                probe_interval=payload.probe_interval,
                probe_count=payload.probe_count,
                user=request.user,
            )
        except ValidationError as error:
            raise refuse(error) from error
        created = endpoints_for(subscription).get(pk=endpoint.pk)
        return Answer(201, dump(schemas.Endpoint, endpoint_out(created)), reverse("api-1:endpoint", args=[endpoint.pk]))

    return create_once(request, idempotency_key, create)


@router.get("/endpoints/{endpoint_id}", response={200: schemas.Endpoint, **errors()}, url_name="endpoint")
def endpoint_detail(request: HttpRequest, endpoint_id: int = id_path()):
    """Show an endpoint: its ports, its set, and whether it is in rotation."""
    return endpoint_out(get_object_or_404(endpoints_for(subscription_of(request)), pk=endpoint_id))


@router.patch("/endpoints/{endpoint_id}", response={200: schemas.Endpoint, **errors(409)})
def endpoint_update_route(request: HttpRequest, payload: schemas.EndpointUpdate, endpoint_id: int = id_path()):
    """Change an endpoint's name and ports as its Edit dialog does; a field left out keeps its value.

    A member of a load-balanced set keeps the protocol and ports its set shares.
    """
    subscription = subscription_of(request)
    endpoint = get_object_or_404(endpoints_for(subscription), pk=endpoint_id)
    changes = payload.model_dump(exclude_unset=True, exclude_none=True)
    current = {field: getattr(endpoint, field) for field in ("name", "protocol", "public_port", "private_port")}
    try:
        endpoint_update(endpoint=endpoint, **(current | changes), user=request.user)
    except ValidationError as error:
        raise refuse(error) from error
    return endpoint_out(endpoints_for(subscription).get(pk=endpoint.pk))


@router.delete("/endpoints/{endpoint_id}", response={204: None, **errors(409)})
def endpoint_delete_route(request: HttpRequest, endpoint_id: int = id_path()):
    """Delete an endpoint; removing the last member of a load-balanced set removes the set."""
    endpoint = get_object_or_404(endpoints_for(subscription_of(request)), pk=endpoint_id)
    endpoint_delete(endpoint=endpoint, user=request.user)
    return HttpResponse(status=204)


@router.get(
    "/cloud-services/{service_id}/load-balanced-sets",
    response={200: schemas.LoadBalancedSetPage, **errors()},
    url_name="cloud-service-load-balanced-sets",
)
def load_balanced_set_list(request: HttpRequest, page: PageParams, service_id: int = id_path()):
    """List a cloud service's load-balanced sets: members, which are in rotation, and whether each set is up."""
    subscription = subscription_of(request)
    service = get_object_or_404(cloud_services_for(subscription), pk=service_id)
    return page_out(_sets(subscription).filter(cloud_service=service), page, _set_out)


@router.get(
    "/load-balanced-sets/{lb_set_id}", response={200: schemas.LoadBalancedSet, **errors()}, url_name="load-balanced-set"
)
def load_balanced_set_detail(request: HttpRequest, lb_set_id: int = id_path()):
    """Show a load-balanced set: its probe, its members and whether each is in rotation, and whether it is up."""
    return _set_out(get_object_or_404(_sets(subscription_of(request)), pk=lb_set_id))
