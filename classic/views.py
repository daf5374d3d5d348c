"""The classic Service Management API: the routes the classic SDK calls for the seed's flows.

Every answer is XML; every error is an <Error> with the platform's code and the portal's message; nothing answers
with a redirect (the SDK would lose the port following one). Request bodies may hold an administrator password in
plain text: they are read once, never logged and never kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from classic import documents, schemas, selectors, services
from classic.bodies import role_spec
from classic.certificates import proxied_thumbprint
from classic.errors import ApiError, BadRequest, NotFound, TooManyRequests
from classic.models import ClassicRequest
from classic.xmldoc import MAX_BODY_BYTES, decode_label, decode_label_leniently, document, error_document, parse
from credentials.ratelimit import certificate_credential, rate_limit_hit, token_credential
from credentials.tokens import token_authenticate
from portal.models import Subscription
from vms.models import CloudService, VirtualMachine
from vms.services.cloud_services import dns_name_check

XML = "application/xml; charset=utf-8"
View = Callable[..., HttpResponse]


class Caller:
    """Who is calling, in which subscription, under which request id."""

    def __init__(self, request: HttpRequest, subscription: Subscription, user) -> None:
        self.request = request
        self.subscription = subscription
        self.user = user
        self.base_url = request.build_absolute_uri(f"/{settings.CLASSIC_API_PREFIX}{subscription.subscription_id}")


def _xml(body: bytes, status: int = 200) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=XML)


def _error(error: ApiError) -> HttpResponse:
    response = _xml(error_document(error.code, error.message), status=error.status)
    if isinstance(error, TooManyRequests):
        response["Retry-After"] = str(error.retry_after)
    return response


def _count(credential: str) -> None:
    """Count one request of the credential; refuse it with 429 and Retry-After when it is over its limit."""
    wait = rate_limit_hit(credential)
    if wait is not None:
        raise TooManyRequests(wait)


def _forbidden() -> ApiError:
    return ApiError(
        "The server failed to authenticate the request. Send Authorization: Bearer with a live API token, or a "
        "management certificate of this subscription.",
        code="ForbiddenError",
        status=403,
    )


def _bearer_token(request: HttpRequest):
    """The live API token the request sends, counted against its rate limit; None when it sends no bearer token.

    A token's requests count against its rate limit, the one the JSON API keeps: one limit for both APIs (a
    certificate's are counted where it is accepted).
    """
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = token_authenticate(raw)
    if token is None:
        raise _forbidden()
    _count(token_credential(token))
    return token


def _authenticate(request: HttpRequest, subscription_id: str) -> Caller:
    """The subscription and person a request acts as: a personal API token, or a proxied management certificate."""
    token = _bearer_token(request)
    if token is not None:
        if str(token.subscription.subscription_id) != subscription_id.lower():
            raise NotFound(f"The subscription {subscription_id} was not found.", code="SubscriptionNotFound")
        return Caller(request, token.subscription, token.user)
    if thumbprint := proxied_thumbprint(request):
        holder = selectors.certificate_holder(subscription_id=subscription_id.lower(), thumbprint=thumbprint)
        if holder is not None:
            _count(certificate_credential(holder.thumbprint))
            return Caller(request, holder.subscription, holder.uploaded_by)
    raise _forbidden()


def _credential_subscriptions(request: HttpRequest) -> list[Subscription]:
    """List Subscriptions: a token's own subscription, or each subscription the certificate is registered with."""
    token = _bearer_token(request)
    if token is not None:
        return list(selectors.token_subscriptions(subscription=token.subscription))
    if thumbprint := proxied_thumbprint(request):
        listed = list(selectors.certificate_subscriptions(thumbprint=thumbprint))
        if listed:
            _count(certificate_credential(thumbprint))
            return listed
    raise _forbidden()


def _answer(request: HttpRequest, methods: tuple[str, ...], authenticate: Callable, view: Callable) -> HttpResponse:
    """Credential first, then the method and x-ms-version checks, then the view; errors as <Error>; a request id."""
    request_id = str(uuid.uuid4())
    try:
        principal = authenticate()
        if request.method not in methods:
            raise ApiError(
                f"{request.method} is not allowed here; use {' or '.join(methods)}.",
                code="MethodNotAllowed",
                status=405,
            )
        if not request.headers.get("x-ms-version"):
            raise BadRequest(
                "The x-ms-version header is required (for example 2014-10-01).",
                code="MissingOrInvalidRequiredHeader",
            )
        response = view(principal)
        if isinstance(response, ClassicRequest):
            request_id = str(response.request_id)
            # Accepted while operations run; otherwise done at once, with the status the request recorded.
            response = HttpResponse(status=202 if response.operations.exists() else response.http_status_code)
    except ApiError as error:
        response = _error(error)
    except ValidationError as error:
        response = _error(services.validation_to_api_error(error))
    response["x-ms-request-id"] = request_id
    # Answers are the subscription's own, current state: no cache may keep or replay them.
    response["Cache-Control"] = "no-store"
    return response


def classic_route(*methods: str) -> Callable[[View], View]:
    """Wrap a route under a subscription id: answered by _answer, acting as the caller its credential names."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @login_not_required
        @wraps(view)
        def route(request: HttpRequest, subscription_id: str, **kwargs) -> HttpResponse:
            return _answer(
                request,
                methods,
                lambda: _authenticate(request, subscription_id),
                lambda caller: view(request, caller, **kwargs),
            )

        return route

    return decorate


def _body(request: HttpRequest) -> bytes:
    try:
        return request.body
    except RequestDataTooBig:
        raise BadRequest(f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.") from None


def _service(caller: Caller, name: str, *, with_deployment: bool = False) -> CloudService:
    service = selectors.hosted_service(subscription=caller.subscription, name=name, with_deployment=with_deployment)
    if service is None:
        raise NotFound(f"The hosted service {name} does not exist.")
    return service


def _role(caller: Caller, service_name: str, deployment_name: str, role_name: str) -> VirtualMachine:
    service = services.deployment_of(_service(caller, service_name), deployment_name)
    vm = selectors.role(cloud_service=service, name=role_name)
    if vm is None:
        raise NotFound(f"The role {role_name} does not exist in the deployment {deployment_name}.")
    return vm


def unknown(request: HttpRequest, subscription_id: str = "", rest: str = "") -> HttpResponse:
    """Any address the API does not serve: an <Error>, never an HTML page or a redirect."""
    response = _error(NotFound("The requested resource does not exist.", code="ResourceNotFound"))
    response["x-ms-request-id"] = str(uuid.uuid4())
    response["Cache-Control"] = "no-store"
    return response


unknown = csrf_exempt(login_not_required(unknown))


# Subscriptions ----------------------------------------------------------------------------------------------------


@csrf_exempt
@login_not_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    """List Subscriptions: those the credential may act in, each with its quotas and usage."""
    return _answer(
        request,
        ("GET",),
        lambda: _credential_subscriptions(request),
        lambda listed: _xml(document("Subscriptions", [documents.subscription(item) for item in listed])),
    )


@classic_route("GET")
def subscription_get(request: HttpRequest, caller: Caller):
    """Get Subscription: its id, name, administrators, quotas and what it uses of them now."""
    subscription = selectors.subscription_with_administrators(subscription=caller.subscription)
    return _xml(document_of(documents.subscription(subscription)))


# Cloud services -------------------------------------------------------------------------------------------------


@classic_route("GET", "POST")
@sensitive_variables()
def hosted_services(request: HttpRequest, caller: Caller):
    if request.method == "GET":
        listed = selectors.hosted_services(subscription=caller.subscription)
        items = [documents.hosted_service(service, caller.base_url, deployments=False) for service in listed]
        return _xml(document("HostedServices", items))
    body = parse(_body(request), "CreateHostedService", schemas.CREATE_HOSTED_SERVICE)
    service_name = body.value("ServiceName") or ""
    if not service_name:
        raise BadRequest("ServiceName is required.", code="MissingOrIncorrectlyOrderedParameter")
    services.hosted_service_create(
        subscription=caller.subscription,
        service_name=service_name,
        label=decode_label(body.value("Label")),
        description=body.value("Description") or "",
        location=body.value("Location") or "",
        affinity_group=body.value("AffinityGroup") or "",
    )
    return services.request_record(subscription=caller.subscription, http_status_code=201)


@classic_route("GET")
def hosted_service_name_available(request: HttpRequest, caller: Caller, name: str):
    try:
        dns_name_check(name)
    except ValidationError as error:
        reason = " ".join(message for messages in error.message_dict.values() for message in messages)
        return _xml(document("AvailabilityResponse", [("Result", False), ("Reason", reason)]))
    return _xml(document("AvailabilityResponse", [("Result", True), ("Reason", None)]))


@classic_route("GET", "DELETE")
def hosted_service(request: HttpRequest, caller: Caller, name: str):
    if request.method == "DELETE":
        services.hosted_service_delete(cloud_service=_service(caller, name))
        return services.request_record(subscription=caller.subscription)
    embed = request.GET.get("embed-detail", "false").lower() == "true"
    service = _service(caller, name, with_deployment=embed)
    return _xml(document_of(documents.hosted_service(service, caller.base_url, deployments=embed)))


# Deployments ------------------------------------------------------------------------------------------------------


@classic_route("POST")
@sensitive_variables()
def deployments(request: HttpRequest, caller: Caller, name: str):
    service = _service(caller, name)
    body = parse(_body(request), "Deployment", schemas.CREATE_VIRTUAL_MACHINE_DEPLOYMENT)
    roles = body.first("RoleList")
    role = roles.first("Role") if roles else None
    if role is None:
        raise BadRequest("RoleList must hold one Role.", code="MissingOrIncorrectlyOrderedParameter")
    deployment_name = body.value("Name") or ""
    if not deployment_name:
        raise BadRequest("Name is required.", code="MissingOrIncorrectlyOrderedParameter")
    operation = services.deployment_create(
        subscription=caller.subscription,
        user=caller.user,
        cloud_service=service,
        name=deployment_name,
        slot=body.value("DeploymentSlot") or "Production",
        label=decode_label_leniently(body.value("Label")),
        spec=role_spec(role, provisioning=True),
        virtual_network_name=body.value("VirtualNetworkName") or "",
    )
    return services.request_record(subscription=caller.subscription, operations=[operation])


def _deployment_document(caller: Caller, service_name: str, deployment_name: str | None) -> HttpResponse:
    service = _service(caller, service_name, with_deployment=True)
    vms = list(service.virtual_machines.all())
    if not vms or (
        deployment_name is not None and deployment_name.lower() != selectors.deployment_name(service).lower()
    ):
        raise NotFound(f"The deployment {deployment_name or 'in the production slot'} does not exist.")
    return _xml(document_of(documents.deployment(service, vms)))


@classic_route("GET", "DELETE")
def deployment(request: HttpRequest, caller: Caller, name: str, deployment_name: str):
    if request.method == "DELETE":
        service = services.deployment_of(_service(caller, name), deployment_name)
        operations = services.deployment_delete(cloud_service=service, user=caller.user)
        return services.request_record(subscription=caller.subscription, operations=operations)
    return _deployment_document(caller, name, deployment_name)


@classic_route("GET")
def deployment_slot(request: HttpRequest, caller: Caller, name: str, slot: str):
    if slot.lower() != "production":
        raise NotFound(f"The hosted service {name} has no deployment in the {slot} slot.")
    return _deployment_document(caller, name, None)


# Roles ------------------------------------------------------------------------------------------------------------


@classic_route("POST")
@sensitive_variables()
def roles(request: HttpRequest, caller: Caller, name: str, deployment_name: str):
    service = services.deployment_of(_service(caller, name), deployment_name)
    body = parse(_body(request), "PersistentVMRole", schemas.ROLE)
    operation = services.role_add(
        subscription=caller.subscription,
        user=caller.user,
        cloud_service=service,
        spec=role_spec(body, provisioning=True),
    )
    return services.request_record(subscription=caller.subscription, operations=[operation])


@classic_route("GET", "PUT", "DELETE")
@sensitive_variables()
def role(request: HttpRequest, caller: Caller, name: str, deployment_name: str, role_name: str):
    vm = _role(caller, name, deployment_name, role_name)
    if request.method == "GET":
        return _xml(document_of(documents.role(vm)))
    if request.method == "DELETE":
        operation = services.role_delete(vm=vm, user=caller.user)
        return services.request_record(subscription=caller.subscription, operations=[operation])
    body = parse(_body(request), "PersistentVMRole", schemas.ROLE)
    operation = services.role_update(vm=vm, user=caller.user, spec=role_spec(body, provisioning=False))
    return services.request_record(subscription=caller.subscription, operations=[operation])


@classic_route("POST")
def role_instance_operations(request: HttpRequest, caller: Caller, name: str, deployment_name: str, role_name: str):
    vm = _role(caller, name, deployment_name, role_name)
    raw = _body(request)
    root = _root_name(raw)
    schema = schemas.ROLE_OPERATIONS.get(root)
    if schema is None:
        raise BadRequest(
            "The body must be a StartRoleOperation, RestartRoleOperation or ShutdownRoleOperation document."
        )
    body = parse(raw, root, schema)
    if (body.value("OperationType") or root) != root:
        raise BadRequest(f"OperationType must be {root}.")
    operation = services.role_instance_operation(
        vm=vm, user=caller.user, operation_type=root, post_shutdown_action=body.value("PostShutdownAction") or ""
    )
    return services.request_record(subscription=caller.subscription, operations=[operation])


def _root_name(raw: bytes) -> str:
    """The document element's local name, read without trusting the body (parse() checks it properly)."""
    head = raw.lstrip()[:200].decode("utf-8", "replace")
    if head.startswith("<?"):
        head = head.partition("?>")[2].lstrip()
    return head[1:].split(" ", 1)[0].split(">", 1)[0] if head.startswith("<") else ""


# Catalog and operations -------------------------------------------------------------------------------------------


@classic_route("GET")
def os_images(request: HttpRequest, caller: Caller):
    items = documents.os_images(selectors.image_versions(), list(selectors.locations()))
    return _xml(document("Images", items))


@classic_route("GET")
def role_sizes(request: HttpRequest, caller: Caller):
    return _xml(document("RoleSizes", documents.role_sizes(list(selectors.role_sizes()))))


@classic_route("GET")
def locations(request: HttpRequest, caller: Caller):
    sizes = list(selectors.role_sizes())
    return _xml(document("Locations", documents.locations(list(selectors.locations()), sizes)))


@classic_route("GET")
def operation_status(request: HttpRequest, caller: Caller, request_id: str):
    try:
        uuid.UUID(request_id)
    except ValueError:
        raise NotFound(f"The operation {request_id} does not exist.") from None
    status = selectors.request_status(subscription=caller.subscription, request_id=request_id)
    if status is None:
        raise NotFound(f"The operation {request_id} does not exist.")
    return _xml(document("Operation", documents.operation(request_id, status)))


def document_of(root) -> bytes:
    """Serialise a built element as a whole document in the Windows Azure namespace."""
    return document(root.tag, list(root))
