from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        # Each app's periodic jobs register themselves on import: once, at start, as the admin discovers admin.py.
        autodiscover_modules("periodic")
