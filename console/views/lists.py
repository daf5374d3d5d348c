"""The list pages (virtual machines, cloud services, storage, networks), the notification area and the activity log."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from availability.selectors import cloud_services_with_set_counts, virtual_machine_rows, virtual_machine_values
from portal.htmx import HtmxHttpRequest, render_page, subscription_required, wants_fragment
from portal.listing import list_order, name_starts_with
from portal.pagination import keyset_paginate
from vms import selectors
from vms.services import notifications as notification_services

RECENT_WINDOW = timedelta(minutes=10)
# The columns each list sorts by, and the field behind each; every one has an index (subscription, field, id).
VM_SORTS = {"name": "name", "status": "status", "date": "created_at"}
# Cloud services and storage accounts are few (the subscription's quotas): their names sort and search them.
NAME_SORT = {"name": "name"}
ACTIVITY_SORTS = {"name": "target_name", "date": "started_at"}


@require_safe
@vary_on_headers("HX-Request")
@subscription_required
def vm_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the subscription's virtual machines; the list refreshes itself while any of them is busy."""
    order = list_order(request, columns=VM_SORTS, default="name")
    values = name_starts_with(virtual_machine_values(request.subscription), order.search)
    listing = keyset_paginate(
        request, values, key=order.key, descending=order.descending, page_size=settings.PAGE_SIZE
    ).map(virtual_machine_rows)
    context = {
        "nav_section": "vms",
        "order": order,
        "listing": listing,
        "busy": any(row.busy for row in listing),
    }
    return render_page(request, "console/vm_list.html", "vm-list", context)


@require_safe
@vary_on_headers("HX-Request")
@subscription_required
def cloud_service_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the subscription's cloud services."""
    order = list_order(request, columns=NAME_SORT, default="name")
    services = name_starts_with(cloud_services_with_set_counts(request.subscription), order.search)
    listing = keyset_paginate(
        request, services, key=order.key, descending=order.descending, page_size=settings.PAGE_SIZE
    ).map(selectors.cloud_service_rows)
    return render_page(
        request,
        "console/cloud_service_list.html",
        "cloud-service-list",
        {"nav_section": "cloud-services", "order": order, "listing": listing},
    )


@require_safe
@vary_on_headers("HX-Request")
@subscription_required
def storage_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the subscription's storage accounts."""
    order = list_order(request, columns=NAME_SORT, default="name")
    accounts = name_starts_with(selectors.storage_account_list(subscription=request.subscription), order.search)
    context = {
        "nav_section": "storage",
        "order": order,
        "listing": keyset_paginate(
            request, accounts, key=order.key, descending=order.descending, page_size=settings.PAGE_SIZE
        ),
    }
    return render_page(request, "console/storage_list.html", "storage", context)


@require_safe
@vary_on_headers("HX-Request")
@subscription_required
def network_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the subscription's affinity groups and virtual networks."""
    subscription = request.subscription
    context = {
        "nav_section": "networks",
        "groups": keyset_paginate(
            request,
            selectors.affinity_group_list(subscription=subscription),
            key="name",
            page_size=settings.PAGE_SIZE,
            prefix="groups_",
        ),
        "networks": keyset_paginate(
            request,
            selectors.virtual_network_list(subscription=subscription),
            key="name",
            page_size=settings.PAGE_SIZE,
            prefix="networks_",
        ),
    }
    return render_page(request, "console/network_list.html", "networks", context)


def _notifications_area(request: HtmxHttpRequest) -> HttpResponse:
    """Render the notification area (or, without htmx, the Notifications page) with one query for its items."""
    subscription = request.subscription
    items = (
        selectors.notifications_for(subscription=subscription, user=request.user, since=timezone.now() - RECENT_WINDOW)
        if subscription
        else []
    )
    context = {
        "notifications": items,
        "in_progress": any(operation.in_progress for operation in items),
        "version": subscription.operations_version if subscription else 0,
        "fragment": wants_fragment(request),
    }
    return render_page(request, "console/notifications.html", "area", context)


@require_safe
@vary_on_headers("HX-Request")
def notifications(request: HtmxHttpRequest) -> HttpResponse:
    """Show operations in progress and those that just finished; a poll that has seen the latest gets no body."""
    subscription = request.subscription
    seen = request.GET.get("seen")
    if wants_fragment(request) and subscription and seen == str(subscription.operations_version):
        return HttpResponse(status=204)
    return _notifications_area(request)


@vary_on_headers("HX-Request")
@require_POST
@subscription_required
def notification_dismiss(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Close one notification for the signed-in person, then show what is left."""
    try:
        notification_services.notification_dismiss(
            user=request.user, subscription=request.subscription, operation_id=pk
        )
    except ValidationError as error:
        raise Http404(error.messages[0]) from error
    if not wants_fragment(request):
        return redirect("vms:notifications")
    return _notifications_area(request)


@require_safe
@vary_on_headers("HX-Request")
@subscription_required
def activity_log(request: HtmxHttpRequest) -> HttpResponse:
    """List every operation of the subscription, newest first; or those on objects whose name starts with a search."""
    order = list_order(request, columns=ACTIVITY_SORTS, default="-date", name_column="name")
    operations = name_starts_with(
        selectors.operation_list(subscription=request.subscription), order.search, field="target_name"
    )
    listing = keyset_paginate(
        request, operations, key=order.key, descending=order.descending, page_size=settings.PAGE_SIZE
    ).map(selectors.activity_rows)
    return render_page(request, "console/activity.html", "activity", {"order": order, "listing": listing})
