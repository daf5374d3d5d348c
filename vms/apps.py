from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class VmsConfig(AppConfig):
    name = "vms"
    verbose_name = "Virtual machines"

    def ready(self) -> None:
        # Operation follow-ups register themselves on import: once, at start, not when an operation ends.
        autodiscover_modules("operations")
