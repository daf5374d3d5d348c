"""The shell's own views: choosing the current subscription."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portal.middleware import SESSION_KEY
from portal.selectors import subscriptions_for


@require_POST
def subscription_switch(request: HttpRequest) -> HttpResponse:
    """Make another of the person's subscriptions the current one, then go back where they were."""
    subscription = get_object_or_404(subscriptions_for(request.user), pk=request.POST.get("subscription"))
    request.session[SESSION_KEY] = subscription.pk
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return redirect(next_url)
