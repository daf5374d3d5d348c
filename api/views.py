"""Settings -> API tokens: make a token, see its secret once, revoke it."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from api.forms import ApiTokenForm
from credentials import services
from credentials.selectors import api_tokens_for
from portal.htmx import HtmxHttpRequest, render_page, wants_fragment
from portal.selectors import subscriptions_for


def _tokens_page(request: HtmxHttpRequest, form: ApiTokenForm | None = None, **extra) -> HttpResponse:
    """Render the API tokens page, or for htmx its list and form."""
    if form is None:
        form = ApiTokenForm(
            subscriptions=subscriptions_for(request.user),
            initial={"subscription": request.subscription.pk if request.subscription else None},
        )
    context = {
        "nav_section": "settings",
        "tokens": list(api_tokens_for(request.user)),
        "form": form,
        "now": timezone.now(),
        **extra,
    }
    return render_page(request, "api/tokens.html", "tokens", context)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def token_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the person's API tokens and make a new one; its secret is shown in this answer only."""
    if request.method != "POST":
        return _tokens_page(request)
    form = ApiTokenForm(request.POST, subscriptions=subscriptions_for(request.user))
    if form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = services.api_token_create(
                user=request.user,
                subscription=data["subscription"],
                name=data["name"],
                expires_at=timezone.now() + timedelta(days=data["expires_in_days"]),
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return _tokens_page(request, created=token, secret=secret)
    return _tokens_page(request, form)


@vary_on_headers("HX-Request")
@require_POST
def token_revoke(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the person's tokens; someone else's is not found."""
    token = get_object_or_404(api_tokens_for(request.user), pk=pk)
    services.api_token_revoke(token=token, user=request.user)
    if not wants_fragment(request):
        return redirect("api-tokens")
    return _tokens_page(request, revoked=token)
