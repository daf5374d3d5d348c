"""The shell's middleware: the request size limit, the current subscription, and the headers every answer carries."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject

from portal.models import Subscription
from portal.selectors import subscriptions_for

SESSION_KEY = "subscription_id"


def request_subscriptions(request: HttpRequest) -> list[Subscription]:
    """Return the person's subscriptions, read once per request: the shell lists them, the pages use one of them."""
    if not hasattr(request, "_subscriptions"):
        request._subscriptions = list(subscriptions_for(request.user)) if hasattr(request, "user") else []
    return request._subscriptions


def current_subscription(request: HttpRequest) -> Subscription | None:
    """Return the subscription chosen in this session, or the person's first one."""
    subscriptions = request_subscriptions(request)
    chosen = request.session.get(SESSION_KEY)
    return next((item for item in subscriptions if item.pk == chosen), subscriptions[0] if subscriptions else None)


class SubscriptionMiddleware:
    """Set request.subscription lazily, so pages that do not need it pay no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.subscription = SimpleLazyObject(lambda: current_subscription(request))
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Keep signed-in pages and htmx fragments out of every cache: `Cache-Control: private, no-store`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated) or "HX-Request" in request.headers:
            patch_cache_control(response, private=True, no_store=True)
        return response


def permissions_policy(features: dict[str, list[str]]) -> str:
    """Write a Permissions-Policy header value: each feature with the origins allowed it, `()` for none."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in features.items())


class PermissionsPolicyMiddleware:
    """Tell the browser which of its features the portal's pages may use (settings.PERMISSIONS_POLICY)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.header = permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.header:
            response.headers.setdefault("Permissions-Policy", self.header)
        return response


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose body is larger than MAX_REQUEST_BYTES, before anything reads it.

    Django reads no more than Content-Length says (none without one), so the header is the whole of what a request can
    make the portal read; uploads and form fields within the limit stay in memory and never reach the disk.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django treats an unreadable length as an empty body
        limit = settings.MAX_REQUEST_BYTES
        if length > limit:
            html = render_to_string("413.html", {"limit_kb": limit // 1024, "length_kb": -(-length // 1024)})
            return HttpResponse(html, status=413)
        return self.get_response(request)
