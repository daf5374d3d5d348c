"""Operations: what the platform was asked to do, and how it ended (InProgress, Succeeded, Failed)."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from api import schemas
from api.v1.common import PageParams, errors, id_path, page_out, subscription_of
from api.v1.representations import operation_out
from vms.selectors import operation_list

router = Router(tags=["Operations"])


def _operations(request: HttpRequest):
    """The subscription's operations with every field the API shows loaded (the activity log loads fewer)."""
    return operation_list(subscription=subscription_of(request)).defer(None)


@router.get("/operations", response={200: schemas.OperationPage, **errors()}, url_name="operations")
def operation_list_route(request: HttpRequest, page: PageParams):
    """List the subscription's operations: the activity log."""
    return page_out(_operations(request), page, operation_out)


@router.get("/operations/{operation_id}", response={200: schemas.Operation, **errors()}, url_name="operation")
def operation_detail(request: HttpRequest, operation_id: int = id_path()):
    """Poll one operation until its status is Succeeded or Failed; a failure says why in error."""
    return operation_out(get_object_or_404(_operations(request), pk=operation_id))
