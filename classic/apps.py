from __future__ import annotations

from django.apps import AppConfig


class ClassicConfig(AppConfig):
    name = "classic"
    verbose_name = "Classic Service Management API"
