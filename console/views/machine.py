"""A virtual machine's page: its Dashboard, Monitor and Configure tabs and the commands on it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, HttpResponseLocation, trigger_client_event

from availability.forms import VirtualMachineConfigureForm, VirtualMachineDeleteForm
from availability.selectors import (
    DashboardMachine,
    availability_set_choices,
    virtual_machine_activity,
    virtual_machine_dashboard,
    virtual_machine_is_last_in_cloud_service,
    virtual_machine_neighbours,
    virtual_machine_operations,
    virtual_machines_for,
)
from console.selectors import virtual_machine_access, virtual_machine_remote_access
from console.services import virtual_machine_configure
from monitor.charts import dashboard_chart, monitor_charts
from monitor.selectors import DEFAULT_SPAN, SPANS, virtual_machine_series
from portal.forms import add_service_error
from portal.htmx import (
    HtmxHttpRequest,
    redirect_after,
    render_page,
    requested_part,
    subscription_or_404,
    wants_fragment,
)
from vms.models import Operation, VirtualMachine
from vms.selectors import OperationRow
from vms.services.machines import vm_delete, vm_restart, vm_shut_down, vm_start
from vms.services.operations import ALLOWED_FROM

TEMPLATE = "console/machine.html"
STATUS_PART = "status"
CHARTS_PART = "charts"
USAGE_PART = "usage"
OPERATIONS_CHANGED = "operations-changed"

POWER_COMMANDS = {"start": vm_start, "shutdown": vm_shut_down, "restart": vm_restart}
COMMAND_KINDS = {
    "start": Operation.Kind.START,
    "shutdown": Operation.Kind.SHUT_DOWN,
    "restart": Operation.Kind.RESTART,
    "delete": Operation.Kind.DELETE,
}
COMMAND_LABELS = (("start", "Start"), ("shutdown", "Shut Down"), ("restart", "Restart"), ("delete", "Delete"))


def get_machine(request: HtmxHttpRequest, pk: int) -> VirtualMachine:
    """Return one of the current subscription's VMs, or 404."""
    return get_object_or_404(virtual_machines_for(subscription_or_404(request)), pk=pk)


def available_commands(
    vm: VirtualMachine | DashboardMachine, operations: list[Operation | OperationRow]
) -> tuple[str, ...]:
    """Return the commands the VM's state allows while no operation runs on it."""
    if any(operation.in_progress for operation in operations):
        return ()
    return tuple(name for name, kind in COMMAND_KINDS.items() if vm.status in ALLOWED_FROM[kind])


def render_machine(request: HtmxHttpRequest, vm: VirtualMachine, *, tab: str, part: str = "main", **context):
    """Render a tab of the VM's page: the whole page, or with htmx the named part."""
    context = {"vm": vm, "tab": tab, "nav_section": "vms", "fragment": wants_fragment(request), **context}
    return render_page(request, TEMPLATE, part, context)


def render_dashboard(request: HtmxHttpRequest, vm: DashboardMachine, *, part: str = "main", **context):
    """Render the Dashboard tab: the whole page, or with htmx the named part."""
    activity = virtual_machine_activity(vm)
    context |= {
        "glance": vm.glance,
        "neighbours": virtual_machine_neighbours(vm),
        "activity": activity,
        "commands": available_commands(vm, activity),
        "command_labels": COMMAND_LABELS,
    }
    if part == "main":
        context["access"] = virtual_machine_access(
            cloud_service_pk=vm.glance.cloud_service_pk, virtual_machine_pk=vm.pk
        )
    return render_machine(request, vm, tab="dashboard", part=part, **context)


def dashboard_or_404(request: HtmxHttpRequest, pk: int) -> DashboardMachine:
    """Return one of the current subscription's VMs as its dashboard shows it, or 404."""
    vm = virtual_machine_dashboard(subscription_or_404(request), pk)
    if vm is None:
        raise Http404("No such virtual machine.")
    return vm


def show_dashboard(request: HtmxHttpRequest, pk: int, *, error: str = "") -> HttpResponse:
    """Go to the dashboard after a command: render it for htmx, redirect otherwise."""
    if not wants_fragment(request):
        if error:
            messages.error(request, error)
        return redirect("vms:dashboard", pk)
    response = render_dashboard(request, dashboard_or_404(request, pk), error=error)
    return response if error else trigger_client_event(response, OPERATIONS_CHANGED)


@require_safe
@vary_on_headers("HX-Request")
def dashboard(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Show the VM's quick glance, its set and its activity."""
    subscription = subscription_or_404(request)
    polling = requested_part(request, (STATUS_PART,)) is not None
    vm = virtual_machine_dashboard(subscription, pk)
    if vm is None:
        if polling:
            # A VM that finished deleting while its dashboard watched: go to the list it has left.
            return HttpResponseClientRedirect(reverse("vms:list"))
        raise Http404("No such virtual machine.")
    return render_dashboard(request, vm, part=STATUS_PART if polling else "main")


@require_safe
@vary_on_headers("HX-Request")
def monitor(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Chart the VM's CPU, disk and network over the last hour, 24 hours or 7 days."""
    vm = get_machine(request, pk)
    part = requested_part(request, {CHARTS_PART, USAGE_PART})
    span = SPANS[DEFAULT_SPAN] if part == USAGE_PART else SPANS.get(request.GET.get("range", ""), SPANS[DEFAULT_SPAN])
    now = timezone.now()
    points = virtual_machine_series(vm.pk, start=now - span.length, end=now, interval=span.interval)
    if part == USAGE_PART:
        # The Dashboard's small chart of the last hour, loaded once its page is shown.
        return render(request, "monitor/includes/dashboard_chart.html", {"vm": vm, "chart": dashboard_chart(points)})
    context = {"span": span, "spans": SPANS.values(), "charts": monitor_charts(points)}
    if part == CHARTS_PART:
        return render(request, "monitor/includes/machine_monitor.html#charts", {"vm": vm, **context})
    return render_machine(request, vm, tab="monitor", **context)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def configure(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Show or save the VM's size and availability set; saving restarts it through the worker."""
    vm = get_machine(request, pk)
    form = VirtualMachineConfigureForm(
        request.POST if request.method == "POST" else None, vm=vm, availability_sets=availability_set_choices(vm)
    )
    notice = ""
    if form.is_valid():
        try:
            operation = virtual_machine_configure(vm=vm, user=request.user, **form.service_arguments())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if operation is not None:
                url = reverse("vms:dashboard", args=[vm.pk])
                if wants_fragment(request):
                    location = HttpResponseLocation(url, target="#main", swap="innerHTML")
                    return trigger_client_event(location, OPERATIONS_CHANGED)
                return redirect(url)
            notice = "There are no changes to save."
    return render_machine(request, vm, tab="configure", form=form, notice=notice)


@require_POST
@vary_on_headers("HX-Request")
def command(request: HtmxHttpRequest, pk: int, command: str) -> HttpResponse:
    """Run Start, Shut Down or Restart, or ask for and then carry out Delete."""
    if command not in COMMAND_KINDS:
        raise Http404("No such command.")
    vm = get_machine(request, pk)
    if command == "delete":
        return delete(request, vm)
    try:
        POWER_COMMANDS[command](vm=vm, user=request.user)
    except ValidationError as error:
        return show_dashboard(request, vm.pk, error=error.messages[0])
    return show_dashboard(request, vm.pk)


def delete(request: HtmxHttpRequest, vm: VirtualMachine) -> HttpResponse:
    """Show the delete confirmation; once confirmed, delete the VM and, when asked, its emptied cloud service."""
    is_last = virtual_machine_is_last_in_cloud_service(vm)
    confirmed = "confirmed" in request.POST
    form = VirtualMachineDeleteForm(request.POST if confirmed else None, vm=vm, is_last=is_last)
    if form.is_valid():
        try:
            operation = vm_delete(
                vm=vm, user=request.user, delete_cloud_service=form.cleaned_data.get("delete_cloud_service", False)
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.info(request, f"{operation.title}.")
            url = reverse("vms:list")
            return redirect_after(request, url)
    return render_dashboard(
        request, dashboard_or_404(request, vm.pk), part="delete_dialog", delete_form=form, is_last=is_last
    )


@require_safe
@vary_on_headers("HX-Request")
def selection_commands(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Return the command bar's commands for a VM selected in the list; without htmx, its dashboard has them."""
    vm = get_machine(request, pk)
    if not wants_fragment(request):
        return redirect("vms:dashboard", vm.pk)
    context = {
        "vm": vm,
        "tab": "selection",
        "selection": True,
        "commands": available_commands(vm, virtual_machine_operations(vm)),
        "command_labels": COMMAND_LABELS,
    }
    return render(request, "console/includes/machine_commands.html", context)


@require_safe
@vary_on_headers("HX-Request")
def connect(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Connect: a Remote Desktop file for a Windows VM; for a Linux VM, the ssh command to type."""
    vm = get_machine(request, pk)
    access = virtual_machine_remote_access(vm)
    if access.protocol == "rdp":
        lines = [
            f"full address:s:{access.host}:{access.port}",
            f"username:s:{access.username}",
            "prompt for credentials:i:1",
            "administrative session:i:1",
        ]
        response = HttpResponse("\r\n".join(lines) + "\r\n", content_type="application/x-rdp")
        response["Content-Disposition"] = f'attachment; filename="{vm.name}.rdp"'
        return response
    command = f"ssh -p {access.port} {access.username}@{access.host}"
    context = {"vm": vm, "command": command, "nav_section": "vms"}
    return render_page(request, "console/connect.html", "dialog", context)
