"""The shell's own views: choosing the current subscription, and Help."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from portal.forms import SubscriptionSwitchForm
from portal.help import document_names, render_document, topic_at
from portal.htmx import DIALOG_PART, HtmxHttpRequest, current_path, requested_part
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


@require_safe
@vary_on_headers("HX-Request")
def help_index(request: HtmxHttpRequest) -> HttpResponse:
    """List the portal's documents; from the header's ?, say in a dialog what the page it was opened on is for."""
    if requested_part(request, (DIALOG_PART,)):
        return render(request, "portal/help.html#dialog", {"topic": topic_at(current_path(request))})
    documents = [(name, render_document(name).title) for name in document_names()]
    return render(request, "portal/help.html", {"documents": documents})


@require_safe
def help_document(request: HttpRequest, name: str) -> HttpResponse:
    """Show one document of docs/ as a page, each heading an anchor a topic can link to."""
    document = render_document(name)
    if document is None:
        raise Http404("No such document.")
    return render(request, "portal/help_document.html", {"document": document, "name": name})
