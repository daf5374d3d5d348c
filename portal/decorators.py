"""Decorators the apps' views share."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import Http404, HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def staff_only(view: View) -> View:
    """Show a page to staff only: anybody else finds no such page."""

    @wraps(view)
    def staff_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return staff_view
