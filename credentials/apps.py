from __future__ import annotations

from django.apps import AppConfig


class CredentialsConfig(AppConfig):
    """Personal API tokens and the rate limit every credential shares, for the JSON API and the classic API."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "credentials"
    verbose_name = "API credentials"
