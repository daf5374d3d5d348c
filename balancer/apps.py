from __future__ import annotations

from django.apps import AppConfig


class BalancerConfig(AppConfig):
    """A region's load balancer: the HAProxy that carries cloud services' public ports."""

    name = "balancer"
    verbose_name = "Load balancers"

    def ready(self) -> None:
        from balancer.rotation import drained, haproxy_rotation
        from balancer.services import carries_region, load_balancer_for_lab
        from endpoints.probes import rotation_reader_register
        from endpoints.services import change_carrier_register
        from fabric.services import lab_balancer_listener_register
        from vms.fabric import planned_operation_guard_register

        rotation_reader_register(haproxy_rotation)
        change_carrier_register(carries_region)
        planned_operation_guard_register(drained)
        lab_balancer_listener_register(load_balancer_for_lab)
