"""Sign-in throttling's two hooks for django-axes: whose address an attempt comes from, and what a locked-out
person is told."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKED_OUT_STATUS = 429


def client_ip_address(request: HttpRequest) -> str | None:
    """Return the client's address: the proxy's header when one is configured, otherwise the connection's."""
    if settings.CLIENT_IP_HEADER:
        forwarded = request.headers.get(settings.CLIENT_IP_HEADER, "")
        # A proxy appends the address it saw; anything before it was written by the client and proves nothing.
        nearest = forwarded.rsplit(",", 1)[-1].strip()
        if nearest:
            return nearest
    return request.META.get("REMOTE_ADDR")


def lockout_message() -> str:
    """Say why sign-in is refused and for how long."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return (
        f"Too many failed sign-in attempts. Sign-in is refused for {minutes} {unit}; try again later, "
        "or ask an administrator to clear the lockout."
    )


def signin_locked_out(request: HttpRequest, response: HttpResponse | None, credentials: dict | None) -> HttpResponse:
    """Show the sign-in form again with the lockout explained above it, answered 429 Too Many Requests."""
    form = AuthenticationForm(request, initial={"username": (credentials or {}).get("username", "")})
    context = {"form": form, "locked_out_message": lockout_message(), "next": request.POST.get("next", "")}
    return render(request, "registration/login.html", context, status=LOCKED_OUT_STATUS)
