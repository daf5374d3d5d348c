"""The application pages: the list, New -> Application, one application's tiers, assessment and drills."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from applications.assessment import Finding, FindingKind
from applications.diagram import layout
from applications.forms import ApplicationForm, DependencyForm, DrillForm, RoleForm
from applications.models import Application, Dependency, Role
from applications.selectors import (
    ApplicationView,
    application_drills,
    application_view,
    application_views,
    applications_for,
    assessment_outside_drill,
    role_target_label,
    role_targets_matching,
)
from applications.services import (
    application_create,
    dependency_add,
    dependency_remove,
    drill_start,
    drill_stop,
    role_add,
    role_change,
    role_remove,
    role_retarget_to_set,
)
from portal.forms import add_service_error
from portal.htmx import HtmxHttpRequest, render_page, requested_part, subscription_or_404, wants_fragment

LIST_TEMPLATE = "applications/application_list.html"
NEW_TEMPLATE = "applications/application_new.html"
DETAIL_TEMPLATE = "applications/application_detail.html"
DRILL_TEMPLATE = "applications/drill_report.html"
LIVE_PART = "live"


def render_application_page(request: HtmxHttpRequest, template: str, part: str, context: dict) -> HttpResponse:
    return render_page(request, template, part, {"nav_section": "applications", **context})


@require_safe
@vary_on_headers("HX-Request")
def application_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the applications, each with the roles that make a single point of failure."""
    applications = list(applications_for(subscription_or_404(request)))
    rows = [
        (view, [view.role_name(key) for key in view.assessment.single_points_of_failure])
        for view in application_views(applications)
    ]
    return render_application_page(request, LIST_TEMPLATE, "main", {"rows": rows})


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def application_new(request: HtmxHttpRequest) -> HttpResponse:
    """Ask for a name, create the application, then go to its page to add roles."""
    subscription = subscription_or_404(request)
    form = ApplicationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            application = application_create(subscription=subscription, name=form.cleaned_data["name"])
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"The application {application.name} was created. Add its roles.")
            return redirect(application)
    return render_application_page(request, NEW_TEMPLATE, "main", {"form": form})


def get_application(request: HtmxHttpRequest, pk: int) -> Application:
    """Return one of the current subscription's applications, its subscription the request's own, or 404."""
    subscription = subscription_or_404(request)
    application = get_object_or_404(Application.objects.filter(subscription=subscription), pk=pk)
    application.subscription = subscription  # already read: the forms and services need not read it again
    return application


def finding_fix(view: ApplicationView, finding: Finding) -> tuple[str, str]:
    """Say how to fix a finding and link to where it is done."""
    role = next(r for r in view.roles if r.role.pk == finding.role)
    if finding.kind == FindingKind.ONE_VM and (joined := role.set_joined) is not None:
        return f"Make {joined.name} the {role.role.name} role", f"#role-{role.role.pk}-set"
    if finding.kind == FindingKind.ONE_VM:
        return "Create a second virtual machine in the same availability set", reverse("vms:wizard")
    if finding.kind == FindingKind.NO_SET:
        return "Create an availability set for it (Configure)", reverse("vms:configure", args=[finding.subject])
    if finding.kind == FindingKind.DEPENDS_ON_WEAK:
        return "See that role", f"#role-{finding.subject}"
    if joined := role.role.availability_set or role.set_joined:
        label = "Open the set to rebalance it" if finding.kind == FindingKind.SHARED_DOMAIN else "Open the set"
        return label, reverse("availability:detail", args=[joined.pk])
    return "Open the virtual machine", role.target_url


def detail_context(application: Application, *, live_only: bool = False, **forms) -> dict:
    """Gather the page: the live part (status, verdict, drill, grids, assessment) and, unless only it is asked, forms.

    During a drill the verdict judges the design from the VMs as they were before it; the grids show them as they are.
    """
    view = application_view(application)
    drills = application_drills(application)
    running = next((drill for drill in drills if drill.running), None)
    drill_events = list(running.events.all()) if running else []
    design = assessment_outside_drill(view, running)
    status = view.assessment.now
    roles = [role_view.role for role_view in view.roles]
    reports = [drill for drill in drills if not drill.running]
    live = {
        "application": application,
        "view": view,
        "design": design,
        "diagram": layout(
            [(r.role.pk, r.role.name, r.role.pk not in status.down_roles) for r in view.roles],
            [(d.role_id, d.depends_on_id) for d in view.dependencies],
        ),
        "blamed": view.role_name(status.blamed),
        "spofs": [view.role_name(key) for key in design.single_points_of_failure],
        "findings": [(finding, *finding_fix(view, finding)) for finding in design.findings],
        "minimum_rows": [(r, design.minimums[r.role.pk]) for r in view.roles],
        "drill": running,
        "drill_events": drill_events,
        "drill_now": drill_events[-1].text if drill_events else "",
        "drill_form": forms.get("drill_form") or DrillForm(roles=roles),
        "reports": reports,
        "last_report": reports[0] if reports else None,
        "polling": running is not None or any(vm.is_busy for r in view.roles for vm in r.members),
    }
    if live_only:
        return live
    return live | {
        "role_rows": [
            (r, forms.get(f"role_form_{r.role.pk}") or role_form(application, role=r.role)) for r in view.roles
        ],
        "role_form": forms.get("role_form") or role_form(application),
        "dependency_form": forms.get("dependency_form") or DependencyForm(roles=roles),
        "error": forms.get("error", ""),
    }


@require_safe
@vary_on_headers("HX-Request")
def application_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Show the roles' grids side by side with their dependencies, the assessment, the drill under way and reports."""
    application = get_application(request, pk)
    polling = requested_part(request, (LIVE_PART,)) is not None
    context = detail_context(application, live_only=polling)
    return render_application_page(request, DETAIL_TEMPLATE, LIVE_PART if polling else "main", context)


def _after_write(request: HtmxHttpRequest, application: Application, **forms) -> HttpResponse:
    """Back to the page after a write; with errors, the page again with the messages beside their fields."""
    if forms:
        context = detail_context(application, **forms)
        response = render_application_page(request, DETAIL_TEMPLATE, "main", context)
        response.status_code = 422 if not wants_fragment(request) else 200
        return response
    return redirect(application)


def role_form(application: Application, data=None, *, role: Role | None = None) -> RoleForm:
    """Return the form that adds a role, or that changes one (its fields prefixed with the role's key)."""
    return RoleForm(
        data,
        subscription=application.subscription,
        suggestions_url=reverse("applications:role-targets", args=[application.pk]),
        role=role,
        prefix=f"role-{role.pk}" if role else None,
    )


@require_safe
@vary_on_headers("HX-Request")
def role_targets(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Suggest the sets and VMs in no set whose name starts with what was typed in a role's target field."""
    application = get_application(request, pk)
    typed = next((value for key, value in request.GET.items() if key == "q" or key.endswith("target")), "")
    context = {
        "targets": [role_target_label(target) for target in role_targets_matching(application.subscription, typed)]
    }
    return render(request, f"{DETAIL_TEMPLATE}#target-options", context)


@require_POST
def role_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    application = get_application(request, pk)
    form = role_form(application, request.POST)
    if form.is_valid():
        try:
            role = role_add(application=application, **form.service_arguments())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"The role {role.name} was added.")
            return _after_write(request, application)
    return _after_write(request, application, role_form=form)


@require_POST
def role_update(request: HtmxHttpRequest, pk: int, role_pk: int) -> HttpResponse:
    application = get_application(request, pk)
    role = get_object_or_404(
        application.roles.select_related("availability_set__cloud_service", "virtual_machine__cloud_service"),
        pk=role_pk,
    )
    form = role_form(application, request.POST, role=role)
    if form.is_valid():
        try:
            role_change(role=role, **form.service_arguments())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"The role {form.cleaned_data['name']} was saved.")
            return _after_write(request, application)
    return _after_write(request, application, **{f"role_form_{role.pk}": form})


@require_POST
def role_delete(request: HtmxHttpRequest, pk: int, role_pk: int) -> HttpResponse:
    application = get_application(request, pk)
    role = get_object_or_404(Role.objects.filter(application=application), pk=role_pk)
    try:
        role_remove(role=role)
    except ValidationError as error:
        return _after_write(request, application, error=error.messages[0])
    messages.success(request, f"The role {role.name} was removed.")
    return _after_write(request, application)


@require_POST
def role_to_set(request: HtmxHttpRequest, pk: int, role_pk: int) -> HttpResponse:
    """Make the availability set that a one-VM role's VM has joined the role, in one step."""
    application = get_application(request, pk)
    role = get_object_or_404(Role.objects.filter(application=application), pk=role_pk)
    try:
        role = role_retarget_to_set(role=role)
    except ValidationError as error:
        return _after_write(request, application, error=error.messages[0])
    messages.success(request, f"The {role.name} role is now the availability set {role.availability_set.name}.")
    return _after_write(request, application)


@require_POST
def dependency_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    application = get_application(request, pk)
    form = DependencyForm(request.POST, roles=list(application.roles.all()))
    if form.is_valid():
        try:
            dependency_add(**form.service_arguments())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _after_write(request, application)
    return _after_write(request, application, dependency_form=form)


@require_POST
def dependency_delete(request: HtmxHttpRequest, pk: int, dependency_pk: int) -> HttpResponse:
    application = get_application(request, pk)
    dependency = get_object_or_404(
        Dependency.objects.filter(role__application=application).select_related("role__application"), pk=dependency_pk
    )
    try:
        dependency_remove(dependency=dependency)
    except ValidationError as error:
        return _after_write(request, application, error=error.messages[0])
    return _after_write(request, application)


@require_POST
def drill_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    application = get_application(request, pk)
    form = DrillForm(request.POST, roles=list(application.roles.all()))
    if form.is_valid():
        try:
            drill_start(application=application, user=request.user, **form.service_arguments())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return _after_write(request, application)  # the page's drill section says it is under way
    return _after_write(request, application, drill_form=form)


@require_POST
def drill_halt(request: HtmxHttpRequest, pk: int, drill_pk: int) -> HttpResponse:
    application = get_application(request, pk)
    drill = get_object_or_404(application.drills.all(), pk=drill_pk)
    try:
        drill_stop(drill=drill)
    except ValidationError as error:
        return _after_write(request, application, error=error.messages[0])
    return _after_write(request, application)


@require_safe
@vary_on_headers("HX-Request")
def drill_report(request: HtmxHttpRequest, pk: int, drill_pk: int) -> HttpResponse:
    """Show a drill's timeline, the seconds the application was down and why, and the prediction it was held to."""
    application = get_application(request, pk)
    drill = get_object_or_404(application.drills.all(), pk=drill_pk)
    context = {"application": application, "drill": drill, "events": list(drill.events.all())}
    return render_application_page(request, DRILL_TEMPLATE, "main", context)
