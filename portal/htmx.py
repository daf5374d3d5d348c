"""What the views share about htmx: the request's type, when to answer with a fragment, and the subscription guards."""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from urllib.parse import urlsplit

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from portal.models import Subscription

# The request parameter by which a template names the part of a page its htmx request is for ("status", "page").
PART_PARAMETER = "part"
DIALOG_PART = "dialog"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


def wants_fragment(request: HtmxHttpRequest) -> bool:
    """Tell whether htmx asked for a part of the page rather than the whole of it."""
    return bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request


def redirect_after(request: HtmxHttpRequest, url: str) -> HttpResponse:
    """Leave a dialog or a form for `url`: htmx follows HX-Redirect with a whole page; a plain request redirects."""
    return HttpResponseClientRedirect(url) if wants_fragment(request) else redirect(url)


def requested_part(request: HtmxHttpRequest, allowed: Collection[str]) -> str | None:
    """Return the part of the page an htmx request names in its `part` parameter, if it is one of allowed, else None.

    Templates send it with `hx-vals='{"part": "..."}'`: the answer depends on what the request is for, never on the
    id of the element it is swapped into. A request for the whole page names no part.
    """
    if not wants_fragment(request):
        return None
    parameters = request.POST if request.method == "POST" else request.GET
    part = parameters.get(PART_PARAMETER)
    return part if part in allowed else None


def current_path(request: HtmxHttpRequest) -> str:
    """Return the path of the page htmx says the request comes from; empty when that header is absent or unreadable."""
    try:
        return urlsplit(request.htmx.current_url_abs_path or "").path
    except ValueError:
        # HX-Current-URL is whatever the client sent, e.g. "http://[": a malformed one says nothing.
        return ""


def in_dialog(request: HtmxHttpRequest, page_path: str) -> bool:
    """Tell whether a wizard's step is asked for from a dialog rather than from its page of its own at page_path.

    A link that opens the wizard in a dialog names the part "dialog"; later requests come from the dialog when the
    page under it is not the wizard's own.
    """
    if not wants_fragment(request):
        return False
    if requested_part(request, (DIALOG_PART,)):
        return True
    return not current_path(request).startswith(page_path)


def render_page(request: HtmxHttpRequest, template: str, part: str, context: dict) -> HttpResponse:
    """Render the whole page, or only its named partial when htmx asked for a fragment."""
    return render(request, f"{template}#{part}" if wants_fragment(request) else template, context)


def subscription_or_404(request: HtmxHttpRequest) -> Subscription:
    """Return the person's current subscription; without one there is nothing to show."""
    if not request.subscription:
        raise Http404("No subscription.")
    return request.subscription


def subscription_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Show a page that explains the person has no subscription instead of an empty portal."""

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.subscription:
            return render(request, "no_subscription.html")
        return view(request, *args, **kwargs)

    return wrapper
