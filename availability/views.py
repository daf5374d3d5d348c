"""The availability-set pages: a cloud service's sets, one set's domains and service level, and its delete."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from availability.forms import DeleteConfirmationForm, RebalanceConfirmationForm
from availability.selectors import (
    SetPage,
    availability_set_grid,
    availability_set_health,
    availability_set_members,
    availability_set_outages,
    availability_set_page,
    availability_set_rebalance_moves,
    availability_set_shared_racks,
    availability_sets_for,
    availability_sets_of,
    cloud_services_for,
    rebalance_plan_key,
)
from availability.services import (
    availability_set_delete,
    availability_set_rebalance,
    availability_set_rebalance_check,
)
from portal.forms import add_service_error
from portal.htmx import HtmxHttpRequest, redirect_after, render_page, subscription_or_404, wants_fragment

LIST_TEMPLATE = "availability/set_list.html"
DETAIL_TEMPLATE = "availability/set_detail.html"


def render_set_page(request: HtmxHttpRequest, template: str, context: dict, *, part: str = "main") -> HttpResponse:
    """Render an availability-set page, or with htmx the named part of it."""
    context = {"nav_section": "cloud-services", "fragment": wants_fragment(request), **context}
    return render_page(request, template, part, context)


@require_safe
@vary_on_headers("HX-Request")
def set_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """List a cloud service's availability sets with their members, service level and spread."""
    cloud_service = get_object_or_404(cloud_services_for(subscription_or_404(request)), pk=pk)
    rows = [
        (availability_set, availability_set_health(availability_set, availability_set.memberships.all()))
        for availability_set in availability_sets_of(cloud_service)
    ]
    return render_set_page(request, LIST_TEMPLATE, {"cloud_service": cloud_service, "rows": rows})


def set_page_or_404(request: HtmxHttpRequest, pk: int) -> SetPage:
    """Return one of the current subscription's sets as its page shows it, or 404."""
    availability_set = availability_set_page(subscription_or_404(request), pk)
    if availability_set is None:
        raise Http404("No such availability set.")
    return availability_set


def detail_context(availability_set: SetPage) -> dict:
    """Gather what a set's page shows: its members by domain and what they are worth."""
    members = availability_set_members(availability_set)
    health = availability_set_health(availability_set, members)
    return {
        "availability_set": availability_set,
        "members": members,
        "grid": availability_set_grid(availability_set, members),
        "update_domains": range(availability_set.update_domain_count),
        "health": health,
        "member_count": health.member_count,  # the command bar's, which set_commands renders too
        "outages": availability_set_outages(availability_set, members),
        "moves": availability_set_rebalance_moves(availability_set, members),
        "shared_racks": availability_set_shared_racks(availability_set),
    }


@require_safe
@vary_on_headers("HX-Request")
def set_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Show a set's members as a grid of fault domains by update domains, and its service level."""
    return render_set_page(request, DETAIL_TEMPLATE, detail_context(set_page_or_404(request, pk)))


@require_safe
@vary_on_headers("HX-Request")
def set_commands(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Return the command bar's commands for a set selected in the list; without htmx, its page has them."""
    availability_set = get_object_or_404(availability_sets_for(subscription_or_404(request)), pk=pk)
    if not wants_fragment(request):
        return redirect("availability:detail", availability_set.pk)
    context = {"availability_set": availability_set, "member_count": availability_set.memberships.count()}
    return render(request, f"{DETAIL_TEMPLATE}#commands", context)


@require_POST
@vary_on_headers("HX-Request")
def set_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Ask to confirm, then delete an empty set; a set with members is refused."""
    availability_set = get_object_or_404(availability_sets_for(subscription_or_404(request)), pk=pk)
    confirmed = "confirmed" in request.POST
    form = DeleteConfirmationForm(request.POST if confirmed else None)
    if form.is_valid():
        try:
            availability_set_delete(availability_set=availability_set)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"The availability set {availability_set.name} was deleted.")
            url = reverse("availability:list", args=[availability_set.cloud_service_id])
            return redirect_after(request, url)
    context = detail_context(set_page_or_404(request, pk)) | {"delete_form": form}
    return render_set_page(request, DETAIL_TEMPLATE, context, part="delete_dialog")


@require_POST
@vary_on_headers("HX-Request")
def set_rebalance(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Show the plan that brings a set back into balance, then on confirmation start its moves in the worker."""
    availability_set = get_object_or_404(availability_sets_for(subscription_or_404(request)), pk=pk)
    confirmed = "confirmed" in request.POST
    form = RebalanceConfirmationForm(request.POST if confirmed else None)
    if form.is_valid():
        try:
            operation = availability_set_rebalance(
                availability_set=availability_set, user=request.user, expected_plan=form.cleaned_data["plan"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                f"Rebalancing {availability_set.name}: {operation.title}. Each move restarts one virtual machine, "
                "and the next starts when it is Running again; follow them in the notification area.",
            )
            url = reverse("availability:detail", args=[availability_set.pk])
            return redirect_after(request, url)
    refusal: list[str] = []
    if not confirmed:
        try:
            availability_set_rebalance_check(availability_set=availability_set)
        except ValidationError as error:
            refusal = error.messages
    context = detail_context(set_page_or_404(request, pk))
    context |= {"rebalance_form": form, "refusal": refusal, "plan_key": rebalance_plan_key(context["moves"])}
    return render_set_page(request, DETAIL_TEMPLATE, context, part="rebalance_dialog")
