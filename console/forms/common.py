"""What the wizard and Quick Create share: the Size within the cores quota, locations, the DNS name's check, help."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from vms.models import AffinityGroup, Region, RoleSize, VirtualNetwork
from vms.services.cloud_services import dns_name_check
from vms.services.usage import subscription_cores_check

DNS_NAME_HELP = (
    "The name of the new cloud service on the internet, NAME.cloudapp.net: 3 to 24 lowercase letters and numbers, "
    "free across every subscription. Other virtual machines can join this cloud service later."
)
PASSWORD_HELP = (
    "8 to 123 characters with at least three of: a lowercase letter, an uppercase letter, a number, a special "
    "character. Well-known passwords are refused. The portal keeps only a hash; you cannot read it back."
)


def location_arguments(location: Region | AffinityGroup | VirtualNetwork | None) -> dict:
    """Return the deploy service's region, affinity_group and virtual_network arguments for one chosen location."""
    return {
        "region": location if isinstance(location, Region) else None,
        "affinity_group": location if isinstance(location, AffinityGroup) else None,
        "virtual_network": location if isinstance(location, VirtualNetwork) else None,
    }


def dns_name_problem(name: str) -> str:
    """Say why NAME.cloudapp.net cannot be used, or return an empty string when it is free."""
    try:
        dns_name_check(name)
    except ValidationError as error:
        return error.messages[0]
    return ""


class SizeWithinQuotaMixin:
    """A form with a Size: the subscription's cores quota is checked beside the field, by the deploy's own rule."""

    def clean_size(self) -> RoleSize:
        size = self.cleaned_data["size"]
        try:
            subscription_cores_check(subscription=self.subscription, size=size)
        except ValidationError as error:
            raise ValidationError(error.error_dict["size"]) from error
        return size
