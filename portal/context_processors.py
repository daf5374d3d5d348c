"""Values every page of the shell needs."""

from __future__ import annotations

from django.http import HttpRequest

from portal.middleware import request_subscriptions


def shell(request: HttpRequest) -> dict:
    """Give templates the person's subscriptions and the current one."""
    subscription = getattr(request, "subscription", None)
    return {
        "current_subscription": subscription if subscription else None,
        "subscriptions": request_subscriptions(request),
    }
