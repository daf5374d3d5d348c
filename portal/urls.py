"""The portal's URL configuration."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from portal import views

urlpatterns = [
    path(
        "",
        RedirectView.as_view(pattern_name="vms:list", permanent=False, http_method_names=["get", "head"]),
        name="home",
    ),
    # Pages without an icon link of their own (the admin's): the browser asks here.
    path("favicon.ico", login_not_required(RedirectView.as_view(url=lazy(static, str)("favicon.svg"), permanent=True))),
    path("admin/", admin.site.urls),
    path("signin/", auth_views.LoginView.as_view(), name="login"),
    path("signout/", auth_views.LogoutView.as_view(), name="logout"),
    path("subscription/", views.subscription_switch, name="subscription-switch"),
    path("help/", views.help_index, name="help"),
    path("help/<str:name>/", views.help_document, name="help-document"),
    # Before vms: a VM's Endpoints tab would otherwise read as a command on the VM.
    path("", include("console.urls.endpoints")),
    path("", include("console.urls.vms")),
    path("", include("console.urls.settings")),
    path("", include("availability.urls")),
    path("", include("api.urls")),
    path("", include("api.v1.urls")),
    path("", include("classic.page_urls")),
    path(settings.CLASSIC_API_PREFIX, include("classic.urls")),
    path("", include("applications.urls")),
    path("", include("fabric.urls")),
    path("", include("maintenance.urls")),
    path("", include("monitor.urls")),
]
