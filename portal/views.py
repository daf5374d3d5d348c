"""The shell's own views: choosing the current subscription."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from portal.forms import SubscriptionSwitchForm
from portal.middleware import SESSION_KEY


@require_POST
def subscription_switch(request: HttpRequest) -> HttpResponse:
    """Make another of the person's subscriptions the current one, then go back where they were."""
    form = SubscriptionSwitchForm(request.POST, user=request.user)
    if not form.is_valid():
        raise Http404("No such subscription.")
    request.session[SESSION_KEY] = form.cleaned_data["subscription"].pk
    next_url = request.POST.get("next", "")
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        next_url = "/"
    # A plain URL, never a view name to look up: "next" is whatever the page posted.
    return HttpResponseRedirect(next_url)
