"""Settings -> Management certificates: add a subscription's certificate for the classic API, see it, remove it."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from classic import selectors, services
from classic.forms import ManagementCertificateForm
from portal.htmx import HtmxHttpRequest, render_page, subscription_or_404, subscription_required, wants_fragment


def _page(request: HtmxHttpRequest, form: ManagementCertificateForm | None = None, **extra) -> HttpResponse:
    subscription = subscription_or_404(request)
    context = {
        "nav_section": "settings",
        "certificates": list(selectors.management_certificates(subscription=subscription)),
        "form": form or ManagementCertificateForm(),
        "enabled": bool(settings.CLASSIC_TRUSTED_PROXIES),
        "header": settings.CLASSIC_CERTIFICATE_HEADER,
        "api_prefix": settings.CLASSIC_API_PREFIX,
        **extra,
    }
    return render_page(request, "classic/certificates.html", "certificates", context)


@subscription_required
@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def certificate_list(request: HtmxHttpRequest) -> HttpResponse:
    """List the current subscription's management certificates and upload another."""
    if request.method != "POST":
        return _page(request)
    form = ManagementCertificateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            certificate = services.management_certificate_upload(
                subscription=request.subscription, user=request.user, data=form.cleaned_data["certificate"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        else:
            return _page(request, added=certificate)
    return _page(request, form)


@subscription_required
@vary_on_headers("HX-Request")
@require_POST
def certificate_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Remove one of the subscription's certificates; another subscription's is not found."""
    certificate = get_object_or_404(selectors.management_certificates(subscription=request.subscription), pk=pk)
    services.management_certificate_delete(certificate=certificate)
    if not wants_fragment(request):
        return redirect("management-certificates")
    return _page(request, removed=certificate)
