"""/api/v1/: the API's routes, its OpenAPI document and docs, and a JSON 404 for anything else under it."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from http import HTTPStatus

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

from api.errors import ApiError
from api.v1.api import api

UNKNOWN_PATH = "There is no such path in the API; see /api/v1/openapi.json."


def _not_stored(response: HttpResponse) -> HttpResponse:
    """Mark an answer as never to be kept by a cache: it is the subscription's own, current state."""
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
def unknown_path(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Answer a path the API does not have in the API's error shape."""
    return _not_stored(JsonResponse(ApiError(404, "not_found", UNKNOWN_PATH).body(), status=404))


def _in_api_shape(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer the errors the routing itself gives (a method not allowed, the bare root) in the API's error shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return unknown_path(request)
        if response.status_code == HTTPStatus.METHOD_NOT_ALLOWED and "json" not in response.get("Content-Type", ""):
            error = ApiError(405, "method_not_allowed", f"This path does not answer {request.method}.")
            replacement = JsonResponse(error.body(), status=405)
            replacement["Allow"] = response.get("Allow", "")
            response = replacement
        return _not_stored(response)

    return wrapper


def _open_to_tokens(urlpatterns: list) -> list:
    """Let requests reach the API's views without a session: they authenticate with bearer tokens instead."""
    for pattern in urlpatterns:
        pattern.callback = _in_api_shape(pattern.callback)
        pattern.callback.login_required = False
    return urlpatterns


unknown_path.login_required = False
api_patterns, api_app_name, api_namespace = api.urls
urlpatterns = [
    path("api/v1/", (_open_to_tokens(api_patterns), api_app_name, api_namespace)),
    re_path(r"^api/v1/(?P<rest>.*)$", unknown_path, name="api-unknown-path"),
]
