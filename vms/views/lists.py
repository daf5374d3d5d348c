"""The list pages (virtual machines, cloud services, storage, networks), the notification area and the activity log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from availability.selectors import cloud_services_with_set_counts, virtual_machines_with_sets
from portal.htmx import HtmxHttpRequest, render_page, subscription_required, wants_fragment
from vms import selectors, services
from vms.list_forms import AffinityGroupForm, StorageAccountForm, VirtualNetworkForm

RECENT_WINDOW = timedelta(minutes=10)


class Listing(NamedTuple):
    """One page of a list, with links to its neighbours that keep the rest of the query string."""

    page: Page
    previous_url: str
    next_url: str


def _paginate(request: HttpRequest, queryset: QuerySet, *, param: str = "page") -> Listing:
    """Return the requested page of a queryset, PAGE_SIZE rows at a time."""
    page = Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get(param))

    def link(number: int) -> str:
        query = request.GET.copy()
        query[param] = number
        return f"{request.path}?{query.urlencode()}"

    return Listing(
        page=page,
        previous_url=link(page.previous_page_number()) if page.has_previous() else "",
        next_url=link(page.next_page_number()) if page.has_next() else "",
    )


@vary_on_headers("HX-Request")
@subscription_required
def vm_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the subscription's virtual machines; the list refreshes itself while any of them is busy."""
    listing = _paginate(request, virtual_machines_with_sets(request.subscription))
    context = {
        "nav_section": "vms",
        "listing": listing,
        "busy": any(vm.is_busy for vm in listing.page),
    }
    return render_page(request, "vms/vm_list.html", "vm-list", context)


@vary_on_headers("HX-Request")
@subscription_required
def cloud_service_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the subscription's cloud services."""
    listing = _paginate(request, cloud_services_with_set_counts(request.subscription))
    return render_page(
        request,
        "vms/cloud_service_list.html",
        "cloud-service-list",
        {"nav_section": "cloud-services", "listing": listing},
    )


def _storage_page(request: HtmxHttpRequest, form: StorageAccountForm | None = None, **extra) -> HttpResponse:
    """Render the Storage page, or for htmx its list and form."""
    context = {
        "nav_section": "storage",
        "listing": _paginate(request, selectors.storage_account_list(subscription=request.subscription)),
        "form": form or StorageAccountForm(),
        **extra,
    }
    return render_page(request, "vms/storage_list.html", "storage", context)


def _networks_page(
    request: HtmxHttpRequest,
    *,
    group_form: AffinityGroupForm | None = None,
    network_form: VirtualNetworkForm | None = None,
    **extra,
) -> HttpResponse:
    """Render the Networks page, or for htmx its lists and forms."""
    subscription = request.subscription
    context = {
        "nav_section": "networks",
        "groups": _paginate(request, selectors.affinity_group_list(subscription=subscription), param="groups_page"),
        "networks": _paginate(
            request, selectors.virtual_network_list(subscription=subscription), param="networks_page"
        ),
        "group_form": group_form or AffinityGroupForm(prefix="affinity_group"),
        "network_form": network_form or VirtualNetworkForm(subscription=subscription, prefix="virtual_network"),
        **extra,
    }
    return render_page(request, "vms/network_list.html", "networks", context)


def _created(
    request: HtmxHttpRequest, message: str, *, url_name: str, page: Callable[..., HttpResponse]
) -> HttpResponse:
    """Say what was created: with htmx in the refreshed part of the page, otherwise in a message after a redirect."""
    if not wants_fragment(request):
        messages.success(request, message)
        return redirect(url_name)
    return page(request, created=message)


@vary_on_headers("HX-Request")
@subscription_required
def storage_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the subscription's storage accounts, with the New storage account form."""
    return _storage_page(request)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
@subscription_required
def storage_create(request: HtmxHttpRequest) -> HttpResponse:
    """Create a storage account from the New storage account form."""
    form = StorageAccountForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            account = services.storage_account_create(subscription=request.subscription, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            message = f"Storage account {account.name} was created."
            return _created(request, message, url_name="vms:storage", page=_storage_page)
    return _storage_page(request, form)


@vary_on_headers("HX-Request")
@subscription_required
def network_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the subscription's affinity groups and virtual networks, with a form to create each."""
    return _networks_page(request)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
@subscription_required
def affinity_group_create(request: HtmxHttpRequest) -> HttpResponse:
    """Create an affinity group from the Networks page."""
    form = AffinityGroupForm(request.POST if request.method == "POST" else None, prefix="affinity_group")
    if form.is_valid():
        try:
            group = services.affinity_group_create(subscription=request.subscription, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            message = f"Affinity group {group.name} was created."
            return _created(request, message, url_name="vms:networks", page=_networks_page)
    return _networks_page(request, group_form=form)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
@subscription_required
def virtual_network_create(request: HtmxHttpRequest) -> HttpResponse:
    """Create a virtual network with its first subnet from the Networks page."""
    form = VirtualNetworkForm(
        request.POST if request.method == "POST" else None, subscription=request.subscription, prefix="virtual_network"
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            network = services.virtual_network_create(
                subscription=request.subscription,
                name=data["name"],
                affinity_group=data["affinity_group"],
                address_space=data["address_space"],
                subnets=[(data["subnet_name"], data["subnet_address_prefix"])],
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            message = f"Virtual network {network.name} was created."
            return _created(request, message, url_name="vms:networks", page=_networks_page)
    return _networks_page(request, network_form=form)


@vary_on_headers("HX-Request")
def notifications(request: HtmxHttpRequest) -> HttpResponse:
    """Show operations in progress and those that just finished; the area polls itself while any is in progress."""
    subscription = request.subscription
    if subscription:
        in_progress = list(selectors.operations_in_progress(subscription=subscription))
        finished = list(
            selectors.operations_recently_finished(subscription=subscription, since=timezone.now() - RECENT_WINDOW)
        )
    else:
        in_progress, finished = [], []
    context = {"in_progress": in_progress, "finished": finished}
    return render_page(request, "vms/notifications.html", "area", context)


@vary_on_headers("HX-Request")
@subscription_required
def activity_log(request: HtmxHttpRequest) -> HttpResponse:
    """List every operation of the subscription, newest first."""
    listing = _paginate(request, selectors.operation_list(subscription=request.subscription))
    return render_page(request, "vms/activity.html", "activity", {"listing": listing})
