"""Settings -> Subscriptions: the subscriptions a person belongs to, their ids, administrators and usage."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from console.selectors import subscription_settings


@require_safe
def subscription_list(request: HttpRequest) -> HttpResponse:
    """List the person's subscriptions with the subscription ID the classic SDK needs, and their usage as bars."""
    context = {"nav_section": "settings", "settings_page": "subscriptions", "rows": subscription_settings(request.user)}
    return render(request, "console/subscriptions.html", context)
