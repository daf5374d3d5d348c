"""Values every page of the shell needs."""

from __future__ import annotations

from django.http import HttpRequest

from portal.help import topic_named
from portal.middleware import request_subscriptions


def shell(request: HttpRequest) -> dict:
    """Give templates the person's subscriptions and the current one, and the page's Help topic."""
    subscription = getattr(request, "subscription", None)
    match = getattr(request, "resolver_match", None)
    return {
        "current_subscription": subscription if subscription else None,
        "subscriptions": request_subscriptions(request),
        "help_topic": topic_named(match.view_name if match else None),
    }
