from __future__ import annotations

from django.apps import AppConfig


class BalancerConfig(AppConfig):
    """A region's load balancer: the HAProxy that carries cloud services' public ports."""

    name = "balancer"
    verbose_name = "Load balancers"
