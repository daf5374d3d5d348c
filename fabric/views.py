"""The Hosts page: staff see each region's racks, their hosts' load and the virtual machines on them."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from fabric.selectors import racks_with_hosts
from portal.decorators import staff_only
from portal.htmx import HtmxHttpRequest, render_page


@require_safe
@vary_on_headers("HX-Request")
@staff_only
def hosts(request: HtmxHttpRequest) -> HttpResponse:
    """Show every rack of every region with its hosts; a person who is not staff finds no such page."""
    context = {"nav_section": "hosts", "racks": racks_with_hosts()}
    return render_page(request, "fabric/hosts.html", "main", context)
