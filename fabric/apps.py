from __future__ import annotations

from django.apps import AppConfig


class FabricConfig(AppConfig):
    """The physical topology (racks and hosts) and the drivers that run virtual machines on them."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "fabric"
    verbose_name = "Fabric: racks and hosts"

    def ready(self) -> None:
        from fabric.operations import carry_out
        from vms.fabric import carrier_register

        carrier_register(carry_out)
