"""The JSON API under /api/v1/: bearer-token authentication, one error shape, the OpenAPI document and its docs."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csp import csp_override
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.security import HttpBearer

from api.errors import ApiError, Refusal, api_error_from_refusals, api_error_from_validation
from api.v1 import applications, availability_sets, catalog, endpoints, machines, metrics, networks, operations
from credentials.models import ApiToken
from credentials.ratelimit import rate_limit_hit, token_credential
from credentials.tokens import token_authenticate

UNAUTHORIZED = "Send a live API token as Authorization: Bearer TOKEN. Make one on Settings -> API tokens."
NOT_FOUND = "There is no such object in the token's subscription."
RATE_LIMITED = "This token made too many requests; wait %(seconds)s seconds, then try again."

# Swagger UI is served from the package's own static files; it draws some icons from data: URIs, so its page
# alone allows those images. Nothing inline runs or styles it.
DOCS_POLICY = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
}


class PortalSwagger(Swagger):
    """Swagger UI in the portal's own page: a language, a main landmark, and text colours that keep 4.5:1."""

    template = "api/docs.html"


class TokenAuth(HttpBearer):
    """A personal API token in the Authorization header, and nothing else: a session cookie opens no door here."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = token_authenticate(token)
        if found is None:
            return None
        wait = rate_limit_hit(token_credential(found))
        if wait is not None:
            raise ApiError(429, "rate_limited", RATE_LIMITED % {"seconds": wait}, **{"Retry-After": str(wait)})
        return found


api = NinjaAPI(
    title="Classic Portal API",
    version="1",
    description=(
        "Everything the portal does with virtual machines and availability sets, for scripts. Authenticate with a "
        "personal API token (Settings -> API tokens) as `Authorization: Bearer TOKEN`; it acts in one "
        "subscription. Creates, power commands and configure answer 202 Accepted with an operation to poll. "
        "Every error is `{code, message, fields}`."
    ),
    urls_namespace="api-1",
    auth=TokenAuth(),
    # No deep links: Swagger UI would put each operation's link inside the button that opens it.
    docs=PortalSwagger(settings={"persistAuthorization": False, "deepLinking": False}),
    docs_decorator=csp_override(DOCS_POLICY),
)


def error_response(request: HttpRequest, error: ApiError) -> HttpResponse:
    response = api.create_response(request, error.body(), status=error.status)
    for header, value in error.headers.items():
        response[header] = value
    return response


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return error_response(request, error)


@api.exception_handler(ValidationError)
def on_service_refusal(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return error_response(request, api_error_from_validation(error))


def _field_name(location: tuple | list) -> str:
    """Name the field of a request error by where it is: body fields by their path, others by their name."""
    parts = [str(part) for part in location]
    if parts and parts[0] == "body":
        parts = parts[2:] if len(parts) > 2 else parts[1:]
    elif parts:
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(RequestValidationError)
def on_bad_request(request: HttpRequest, error: RequestValidationError) -> HttpResponse:
    refusals = [
        Refusal(_field_name(item.get("loc", ())), "invalid", item.get("msg", "Invalid.")) for item in error.errors
    ]
    return error_response(request, api_error_from_refusals(refusals))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    response = error_response(request, ApiError(401, "unauthorized", UNAUTHORIZED))
    response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, error: Exception) -> HttpResponse:
    return error_response(request, ApiError(404, "not_found", NOT_FOUND))


api.add_exception_handler(ObjectDoesNotExist, on_not_found)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    return error_response(request, ApiError(error.status_code, "error", str(error)))


api.add_router("", catalog.router)
api.add_router("", networks.router)
api.add_router("", machines.router)
api.add_router("", metrics.router)
api.add_router("", availability_sets.router)
api.add_router("", endpoints.router)
api.add_router("", applications.router)
api.add_router("", operations.router)
