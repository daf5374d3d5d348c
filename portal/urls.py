"""The portal's URL configuration."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from portal import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="vms:list", permanent=False), name="home"),
    path("admin/", admin.site.urls),
    path("signin/", auth_views.LoginView.as_view(), name="login"),
    path("signout/", auth_views.LogoutView.as_view(), name="logout"),
    path("subscription/", views.subscription_switch, name="subscription-switch"),
    path("", include("vms.urls")),
    path("", include("availability.urls")),
    path("", include("applications.urls")),
]
