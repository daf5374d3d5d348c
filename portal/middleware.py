"""Attach the signed-in person's current subscription to each request."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from portal.models import Subscription
from portal.selectors import subscriptions_for

SESSION_KEY = "subscription_id"


def current_subscription(request: HttpRequest) -> Subscription | None:
    """Return the subscription chosen in this session, or the person's first one."""
    subscriptions = subscriptions_for(request.user)
    chosen = request.session.get(SESSION_KEY)
    subscription = subscriptions.filter(pk=chosen).first() if chosen else None
    return subscription or subscriptions.first()


class SubscriptionMiddleware:
    """Set request.subscription lazily, so pages that do not need it pay no query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.subscription = SimpleLazyObject(lambda: current_subscription(request))
        return self.get_response(request)
