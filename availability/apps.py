from __future__ import annotations

from django.apps import AppConfig


class AvailabilityConfig(AppConfig):
    name = "availability"
    verbose_name = "Availability sets"

    def ready(self) -> None:
        from availability.services import availability_set_rebalance_continue
        from vms.operations import operation_finished

        def continue_rebalance(sender, *, operation, **kwargs) -> None:
            availability_set_rebalance_continue(operation=operation)

        operation_finished.connect(continue_rebalance, dispatch_uid="availability.continue_rebalance", weak=False)
