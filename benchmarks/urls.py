"""The portal's URLs plus the floor view the HTTP benchmark compares every page with."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path

from vms.models import VirtualMachine

FLOOR_TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>floor</title><ul>{% for name, status in rows %}<li>{{ name }} {{ status }}</li>"
    "{% endfor %}</ul>"
)


def floor(request: HttpRequest) -> HttpResponse:
    """The least a signed-in page can cost: the same middleware and session, one indexed query for 50 VM rows."""
    rows = VirtualMachine.objects.filter(subscription=request.subscription).order_by("name", "id")
    return HttpResponse(FLOOR_TEMPLATE.render({"rows": rows.values_list("name", "status")[:50]}, request))


urlpatterns = [
    path("benchmark/floor/", floor, name="benchmark-floor"),
    path("", include("portal.urls")),
]
