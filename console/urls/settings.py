"""Settings -> Subscriptions; API tokens (api/) and Management certificates (classic/) sit beside it."""

from __future__ import annotations

from django.urls import path

from console.views import settings

urlpatterns = [
    path("settings/", settings.subscription_list, name="settings-subscriptions"),
]
