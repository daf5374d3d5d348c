"""Applications: roles and dependencies, the single-point-of-failure assessment, and drills on the worker."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router, Status

from api import schemas
from api.errors import Refusal, api_error_from_refusals
from api.idempotency import Answer
from api.pagination import paginate
from api.v1.common import (
    PageParams,
    create_once,
    dump,
    errors,
    id_path,
    idempotency_key_header,
    json_answer,
    page_out,
    refuse,
    subscription_of,
    token_of,
)
from api.v1.representations import (
    application_out,
    application_summary_out,
    assessment_out,
    drill_out,
    drill_report_out,
)
from applications.forms import RoleForm
from applications.models import Application, Dependency, Drill, Role
from applications.selectors import application_view, application_views, applications_for
from applications.services import (
    application_create,
    application_delete,
    dependency_add,
    dependency_remove,
    drill_start,
    drill_stop,
    role_add,
    role_remove,
)
from availability.models import AvailabilitySet
from vms.models import VirtualMachine

router = Router(tags=["Applications"])

# The portal's own words for a role target that is not one of the subscription's.
TARGET_NOT_OFFERED = RoleForm.base_fields["target"].error_messages["invalid_choice"]
ROLE_NOT_OFFERED = "Choose a role of this application."


def _application(request: HttpRequest, application_id: int) -> Application:
    """Return one of the token's subscription's applications, or 404 whether it is missing or someone else's."""
    return get_object_or_404(applications_for(subscription_of(request)), pk=application_id)


def _detail(application: Application) -> dict:
    return dump(schemas.Application, application_out(application_view(application)))


def _drills(application: Application):
    return Drill.objects.filter(application=application).select_related("application")


@router.get("/applications", response={200: schemas.ApplicationPage, **errors()}, url_name="applications")
def application_list(request: HttpRequest, page: PageParams):
    """List the subscription's applications, each with whether it has a single point of failure."""
    found = paginate(applications_for(subscription_of(request)), cursor=page.cursor, limit=page.limit)
    return {
        "items": [application_summary_out(view) for view in application_views(found.items)],
        "next_cursor": found.next_cursor,
    }


@router.post("/applications", response={201: schemas.Application, **errors(409)})
def application_create_route(
    request: HttpRequest, payload: schemas.ApplicationCreate, idempotency_key: str | None = idempotency_key_header()
):
    """Create an application with no roles yet; its name must be free in the subscription."""

    def create() -> Answer:
        try:
            application = application_create(subscription=subscription_of(request), name=payload.name)
        except ValidationError as error:
            raise refuse(error) from error
        application = _application(request, application.pk)
        return Answer(201, _detail(application), reverse("api-1:application", args=[application.pk]))

    return create_once(request, idempotency_key, create)


@router.get("/applications/{application_id}", response={200: schemas.Application, **errors()}, url_name="application")
def application_detail(request: HttpRequest, application_id: int = id_path()):
    """Show an application: its roles with their members' fault and update domains, and its dependencies."""
    return _detail(_application(request, application_id))


@router.delete("/applications/{application_id}", response={204: None, **errors(409)})
def application_delete_route(request: HttpRequest, application_id: int = id_path()):
    """Delete an application with its roles, dependencies and drill reports; refused with 409 while a drill runs."""
    try:
        application_delete(application=_application(request, application_id))
    except ValidationError as error:
        raise refuse(error) from error
    return HttpResponse(status=204)


@router.post("/applications/{application_id}/roles", response={201: schemas.ApplicationRole, **errors(409)})
def role_create_route(request: HttpRequest, payload: schemas.RoleCreate, application_id: int = id_path()):
    """Add a role: one of the subscription's availability sets, or one of its VMs in no set, not both."""
    application = _application(request, application_id)
    subscription = subscription_of(request)
    refusals = []
    availability_set = virtual_machine = None
    if payload.availability_set is not None:
        availability_set = (
            AvailabilitySet.objects.filter(cloud_service__subscription=subscription, pk=payload.availability_set)
            .select_related("cloud_service")
            .first()
        )
        if availability_set is None:
            refusals.append(Refusal("availability_set", "invalid_choice", TARGET_NOT_OFFERED))
    if payload.virtual_machine is not None:
        virtual_machine = (
            VirtualMachine.objects.filter(cloud_service__subscription=subscription, pk=payload.virtual_machine)
            .select_related("cloud_service")
            .first()
        )
        if virtual_machine is None:
            refusals.append(Refusal("virtual_machine", "invalid_choice", TARGET_NOT_OFFERED))
    if refusals:
        raise api_error_from_refusals(refusals)
    target_field = "virtual_machine" if payload.virtual_machine is not None else "availability_set"
    try:
        role = role_add(
            application=application,
            name=payload.name,
            availability_set=availability_set,
            virtual_machine=virtual_machine,
        )
    except ValidationError as error:
        raise refuse(error, target=target_field) from error
    view = application_view(application)
    return Status(201, next(out for out in application_out(view)["roles"] if out["id"] == role.pk))


@router.delete("/applications/{application_id}/roles/{role_id}", response={204: None, **errors(409)})
def role_delete_route(request: HttpRequest, application_id: int = id_path(), role_id: int = id_path()):
    """Remove a role and the dependencies on and of it."""
    application = _application(request, application_id)
    try:
        role_remove(role=get_object_or_404(Role.objects.filter(application=application), pk=role_id))
    except ValidationError as error:
        raise refuse(error) from error
    return HttpResponse(status=204)


@router.post(
    "/applications/{application_id}/dependencies",
    response={201: schemas.ApplicationDependency, **errors(409)},
)
def dependency_create_route(request: HttpRequest, payload: schemas.DependencyCreate, application_id: int = id_path()):
    """Record that one role cannot serve without another; a dependency that closes a cycle is refused."""
    application = _application(request, application_id)
    roles = {
        role.pk: role
        for role in Role.objects.filter(application=application, pk__in=[payload.role, payload.depends_on])
    }
    refusals = [
        Refusal(field, "invalid_choice", ROLE_NOT_OFFERED)
        for field, key in (("role", payload.role), ("depends_on", payload.depends_on))
        if key not in roles
    ]
    if refusals:
        raise api_error_from_refusals(refusals)
    try:
        dependency = dependency_add(role=roles[payload.role], depends_on=roles[payload.depends_on])
    except ValidationError as error:
        raise refuse(error) from error
    return Status(
        201,
        {
            "id": dependency.pk,
            "role": {"id": dependency.role_id, "name": dependency.role.name},
            "depends_on": {"id": dependency.depends_on_id, "name": dependency.depends_on.name},
        },
    )


@router.delete("/applications/{application_id}/dependencies/{dependency_id}", response={204: None, **errors(409)})
def dependency_delete_route(request: HttpRequest, application_id: int = id_path(), dependency_id: int = id_path()):
    """Forget that one role needs another."""
    application = _application(request, application_id)
    dependency = get_object_or_404(
        Dependency.objects.filter(role__application=application).select_related("role__application"), pk=dependency_id
    )
    try:
        dependency_remove(dependency=dependency)
    except ValidationError as error:
        raise refuse(error) from error
    return HttpResponse(status=204)


@router.get(
    "/applications/{application_id}/assessment",
    response={200: schemas.Assessment, **errors()},
    url_name="application-assessment",
)
def application_assessment(request: HttpRequest, application_id: int = id_path()):
    """Judge the application as its page does: each scenario's verdict, the blamed role and why, the findings,
    and each role's minimum members."""
    return assessment_out(application_view(_application(request, application_id)))


@router.get(
    "/applications/{application_id}/drills",
    response={200: schemas.DrillPage, **errors()},
    url_name="application-drills",
)
def drill_list(request: HttpRequest, page: PageParams, application_id: int = id_path()):
    """List the application's drills: the one running and the reports kept."""
    return page_out(_drills(_application(request, application_id)), page, drill_out)


@router.post(
    "/applications/{application_id}/drills", response={202: schemas.Drill, **errors(409)}, url_name="drill-start"
)
def drill_start_route(
    request: HttpRequest,
    payload: schemas.DrillStart,
    application_id: int = id_path(),
    idempotency_key: str | None = idempotency_key_header(),
):
    """Start a drill on the worker: a planned maintenance walk, or a rack failure of one fault domain.

    The answer is 202 with the drill; poll its Location until its status is no longer running.
    """
    application = _application(request, application_id)

    def create() -> Answer:
        role = None
        if payload.kind == Drill.Kind.RACK_FAILURE and payload.role is not None:
            role = Role.objects.filter(application=application, pk=payload.role).first()
            if role is None:
                raise api_error_from_refusals([Refusal("role", "invalid_choice", ROLE_NOT_OFFERED)])
        try:
            drill = drill_start(
                application=application,
                kind=payload.kind,
                fault_domain=payload.fault_domain,
                role=role,
                failure_seconds=payload.failure_seconds,
                user=token_of(request).user,
            )
        except ValidationError as error:
            raise refuse(error) from error
        drill = _drills(application).get(pk=drill.pk)
        location = reverse("api-1:drill", args=[application.pk, drill.pk])
        return Answer(202, dump(schemas.Drill, drill_out(drill)), location)

    return create_once(request, idempotency_key, create)


@router.get(
    "/applications/{application_id}/drills/{drill_id}",
    response={200: schemas.DrillReport, **errors()},
    url_name="drill",
)
def drill_detail(request: HttpRequest, application_id: int = id_path(), drill_id: int = id_path()):
    """Show a drill and its report: the timeline, the seconds the application was down and why, and the
    prediction it was held to."""
    drill = get_object_or_404(_drills(_application(request, application_id)), pk=drill_id)
    return drill_report_out(drill, drill.events.all())


@router.post(
    "/applications/{application_id}/drills/{drill_id}/stop",
    response={202: schemas.Drill, **errors(409)},
)
def drill_stop_route(request: HttpRequest, application_id: int = id_path(), drill_id: int = id_path()):
    """Stop a running drill: no further step begins, a rack failure heals, and every VM returns to its state."""
    application = _application(request, application_id)
    drill = get_object_or_404(_drills(application), pk=drill_id)
    try:
        drill_stop(drill=drill)
    except ValidationError as error:
        raise refuse(error) from error
    drill = _drills(application).get(pk=drill.pk)
    location = reverse("api-1:drill", args=[application.pk, drill.pk])
    return json_answer(Answer(202, dump(schemas.Drill, drill_out(drill)), location))
