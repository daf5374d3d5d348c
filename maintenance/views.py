"""Host maintenance pages for staff: plan from the Hosts page, the plan with Run and Stop, and the report."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from fabric.models import Rack
from maintenance.forms import MaintenancePlanForm
from maintenance.models import MaintenanceRun
from maintenance.selectors import maintenance_runs, run_report
from maintenance.services import maintenance_plan, maintenance_start, maintenance_stop
from portal.decorators import staff_only
from portal.forms import add_service_error
from portal.htmx import HtmxHttpRequest, render_page
from vms.models import Region

TEMPLATE = "maintenance/run.html"


@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
@staff_only
def runs(request: HtmxHttpRequest) -> HttpResponse:
    """List the maintenance runs; POST plans a new one from the Hosts page's form."""
    form = MaintenancePlanForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            run = maintenance_plan(
                hosts=form.cleaned_data["host_list"], scope=form.cleaned_data["scope"], user=request.user
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return redirect(run)
    context = {
        "nav_section": "hosts",
        "form": form,
        "runs": maintenance_runs(),
        "racks": Rack.objects.select_related("region"),
        "regions": Region.objects.all(),
    }
    response = render_page(request, "maintenance/runs.html", "main", context)
    if form.errors:
        response.status_code = 400
    return response


@require_safe
@vary_on_headers("HX-Request")
@staff_only
def run_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Show the plan's rounds before anything happens, the run under way, and its report once it ended."""
    run = get_object_or_404(MaintenanceRun.objects.select_related("started_by"), pk=pk)
    context = {"nav_section": "hosts", "run": run, "report": run_report(run, timezone.now())}
    return render_page(request, TEMPLATE, "main", context)


@require_POST
@staff_only
def run_start(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(MaintenanceRun, pk=pk)
    try:
        maintenance_start(run=run, user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(run)


@require_POST
@staff_only
def run_stop(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(MaintenanceRun, pk=pk)
    try:
        maintenance_stop(run=run)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(run)
