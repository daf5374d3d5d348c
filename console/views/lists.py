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
from portal.pagination import keyset_paginate
from vms import selectors
from vms.services import notifications as notification_services

RECENT_WINDOW = timedelta(minutes=10)


@require_safe
@vary_on_headers("HX-Request")
@subscription_required
def vm_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the subscription's virtual machines; the list refreshes itself while any of them is busy."""
    listing = keyset_paginate(
        request, virtual_machine_values(request.subscription), key="name", page_size=settings.PAGE_SIZE
    ).map(virtual_machine_rows)
    context = {
        "nav_section": "vms",
        "listing": listing,
        "busy": any(row.busy for row in listing),
    }
    return render_page(request, "console/vm_list.html", "vm-list", context)


@require_safe
@vary_on_headers("HX-Request")
@subscription_required
def cloud_service_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the subscription's cloud services."""
    listing = keyset_paginate(
        request, cloud_services_with_set_counts(request.subscription), key="name", page_size=settings.PAGE_SIZE
    ).map(selectors.cloud_service_rows)
    return render_page(
        request,
        "console/cloud_service_list.html",
        "cloud-service-list",
        {"nav_section": "cloud-services", "listing": listing},
    )


@require_safe
@vary_on_headers("HX-Request")
@subscription_required
def storage_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the subscription's storage accounts."""
    context = {
        "nav_section": "storage",
        "listing": keyset_paginate(
            request,
            selectors.storage_account_list(subscription=request.subscription),
            key="name",
            page_size=settings.PAGE_SIZE,
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
    """List every operation of the subscription, newest first."""
    listing = keyset_paginate(
        request,
        selectors.operation_list(subscription=request.subscription),
        key="started_at",
        descending=True,
        page_size=settings.PAGE_SIZE,
    ).map(selectors.activity_rows)
    return render_page(request, "console/activity.html", "activity", {"listing": listing})
