"""The load balancers' job in the worker's schedule."""

from __future__ import annotations

from django.conf import settings

from balancer.selectors import enabled_load_balancers
from balancer.services import ApplyResult, changes_without_carrier_settle, load_balancer_apply
from portal.periodic import periodic


@periodic(name="balancer.apply_changes", seconds=lambda: settings.LOAD_BALANCER_APPLY_SECONDS)
def apply_changes() -> dict[str, ApplyResult]:
    """Apply each enabled region's configuration when its endpoints, sets, members or addresses changed."""
    changes_without_carrier_settle()
    return {
        load_balancer.region.name: load_balancer_apply(load_balancer=load_balancer)
        for load_balancer in enabled_load_balancers()
    }
