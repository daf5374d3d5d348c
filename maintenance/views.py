"""Host maintenance pages for staff: plan from the Hosts page, the plan with Run and Stop, and the report."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from fabric.models import Rack
from maintenance.forms import MaintenancePlanForm
from maintenance.models import MaintenanceRun
from maintenance.selectors import maintenance_runs, run_report
from maintenance.services import maintenance_plan, maintenance_start, maintenance_stop
from portal.htmx import HtmxHttpRequest, render_page
from vms.models import Region

TEMPLATE = "maintenance/run.html"


def _staff_only(request: HtmxHttpRequest) -> None:
    if not request.user.is_staff:
        raise Http404("No such page.")


@vary_on_headers("HX-Request")
def runs(request: HtmxHttpRequest) -> HttpResponse:
    """List the maintenance runs; POST plans a new one from the Hosts page's form."""
    _staff_only(request)
    form = MaintenancePlanForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            run = maintenance_plan(
                hosts=form.cleaned_data["host_list"], scope=form.cleaned_data["scope"], user=request.user
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect(run)
    elif request.method not in {"GET", "HEAD", "POST"}:
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
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
def run_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Show the plan's rounds before anything happens, the run under way, and its report once it ended."""
    _staff_only(request)
    run = get_object_or_404(MaintenanceRun.objects.select_related("started_by"), pk=pk)
    context = {"nav_section": "hosts", "run": run, "report": run_report(run, timezone.now())}
    return render_page(request, TEMPLATE, "main", context)


@require_POST
def run_start(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    run = get_object_or_404(MaintenanceRun, pk=pk)
    try:
        maintenance_start(run=run, user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(run)


@require_POST
def run_stop(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    _staff_only(request)
    run = get_object_or_404(MaintenanceRun, pk=pk)
    try:
        maintenance_stop(run=run)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(run)
