"""Settings pages of the API: personal tokens."""

from __future__ import annotations

from django.urls import path

from api import views

urlpatterns = [
    path("settings/api-tokens/", views.token_list, name="api-tokens"),
    path("settings/api-tokens/<int:pk>/revoke/", views.token_revoke, name="api-token-revoke"),
]
