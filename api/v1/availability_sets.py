"""Availability sets: create, read with members and their fault/update domains, service level and spread, delete."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
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
from api.v1.representations import availability_set_out
from availability.models import AvailabilitySet, Membership
from availability.selectors import availability_sets_for, cloud_services_for
from availability.services import availability_set_create, availability_set_delete
from portal.models import Subscription

router = Router(tags=["Availability sets"])


def _sets(subscription: Subscription):
    members = Membership.objects.select_related("virtual_machine")
    return availability_sets_for(subscription).prefetch_related(Prefetch("memberships", queryset=members))


def _out(availability_set: AvailabilitySet) -> dict:
    return availability_set_out(availability_set, availability_set.memberships.all())


@router.get("/availability-sets", response={200: schemas.AvailabilitySetPage, **errors()}, url_name="availability-sets")
def availability_set_list(request: HttpRequest, page: PageParams):
    """List the subscription's availability sets with their members, service level and spread."""
    return page_out(_sets(subscription_of(request)), page, _out)


@router.get(
    "/availability-sets/{set_id}", response={200: schemas.AvailabilitySet, **errors()}, url_name="availability-set"
)
def availability_set_detail(request: HttpRequest, set_id: int = id_path()):
    """Show a set: each member's fault and update domain, whether it earns the SLA and keeps its spread."""
    return _out(get_object_or_404(_sets(subscription_of(request)), pk=set_id))


@router.post("/availability-sets", response={201: schemas.AvailabilitySet, **errors(409)})
def availability_set_create_route(
    request: HttpRequest, payload: schemas.AvailabilitySetCreate, idempotency_key: str | None = idempotency_key_header()
):
    """Create an empty availability set in a cloud service; VMs join it when created or configured."""
    subscription = subscription_of(request)

    def create() -> Answer:
        choices = Choices()
        cloud_service = choices.one(cloud_services_for(subscription), "cloud_service", pk=payload.cloud_service)
        choices.check()
        try:
            with transaction.atomic():
                availability_set = availability_set_create(cloud_service=cloud_service, name=payload.name)
        except ValidationError as error:
            raise refuse(error, availability_set_name="name") from error
        created = _sets(subscription).get(pk=availability_set.pk)
        return Answer(
            201,
            dump(schemas.AvailabilitySet, _out(created)),
            reverse("api-1:availability-set", args=[availability_set.pk]),
        )

    return create_once(request, idempotency_key, create)


@router.delete("/availability-sets/{set_id}", response={204: None, **errors(409)})
def availability_set_delete_route(request: HttpRequest, set_id: int = id_path()):
    """Delete an availability set that has no members; one with members is refused with 409."""
    availability_set = get_object_or_404(availability_sets_for(subscription_of(request)), pk=set_id)
    try:
        availability_set_delete(availability_set=availability_set)
    except ValidationError as error:
        raise refuse(error) from error
    return HttpResponse(status=204)
