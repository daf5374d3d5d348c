"""What the wizard and Quick Create share: the Size within the cores quota, locations, the DNS name's check, help."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.html import format_html

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


class DnsNameInput(forms.TextInput):
    """NAME, then .cloudapp.net: checked as it is typed (and when its page settles) by the DNS name check."""

    STATUS_ID = "dns-name-status"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(
            {
                "class": "form-control",
                "autocomplete": "off",
                "spellcheck": "false",
                "hx-get": reverse_lazy("vms:dns-name-check"),
                "hx-trigger": "load, input changed delay:500ms",
                "hx-target": f"#{self.STATUS_ID}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                **(attrs or {}),
            }
        )

    def get_context(self, name: str, value, attrs: dict | None) -> dict:
        context = super().get_context(name, value, attrs)
        # The check's answer first, then the help text and the error the form adds.
        described_by = context["widget"]["attrs"].pop("aria-describedby", "")
        context["widget"]["attrs"]["aria-describedby"] = f"{self.STATUS_ID} {described_by}".strip()
        return context

    def render(self, name: str, value, attrs: dict | None = None, renderer=None) -> str:
        return format_html(
            '<div class="input-group">{}<span class="input-group-text">.cloudapp.net</span></div>'
            '<div id="{}" class="form-text" aria-live="polite"></div>',
            super().render(name, value, attrs, renderer),
            self.STATUS_ID,
        )


class DnsNameField(forms.CharField):
    """The DNS Name of a new cloud service, as the wizard's Mode page and Quick Create both ask it."""

    widget = DnsNameInput

    def __init__(self, **kwargs) -> None:
        super().__init__(**{"label": "DNS Name", "max_length": 24, **kwargs})
        self.explanation = DNS_NAME_HELP


class SizeWithinQuotaMixin:
    """A form with a Size: the subscription's cores quota is checked beside the field, by the deploy's own rule."""

    def clean_size(self) -> RoleSize:
        size = self.cleaned_data["size"]
        try:
            subscription_cores_check(subscription=self.subscription, size=size)
        except ValidationError as error:
            raise ValidationError(error.error_dict["size"]) from error
        return size
