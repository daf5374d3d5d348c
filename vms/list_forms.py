"""The New drawer's small create forms (storage account, affinity group, virtual network, cloud service): they
validate, the services write."""

from __future__ import annotations

import ipaddress

from django import forms
from django.core.exceptions import ValidationError

from portal.forms import add_service_error
from portal.models import Subscription
from portal.validators import validate_visible_name
from vms.models import AffinityGroup, Region
from vms.validators import validate_storage_account_name


class PortalForm(forms.Form):
    """A Bootstrap-styled form that can show a service's ValidationError beside the fields it names."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault(
                "class", "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )

    # The services' names for what a form asks under another name.
    SERVICE_FIELDS: dict[str, str] = {}

    def add_service_error(self, error: ValidationError) -> None:
        """Place each of the service's messages beside its field, or above the form when no field matches."""
        add_service_error(self, error, fields=self.SERVICE_FIELDS)


class StorageAccountForm(PortalForm):
    """New storage account: a name free everywhere and a region."""

    name = forms.CharField(
        label="Name",
        max_length=24,
        validators=[validate_storage_account_name],
        help_text="3 to 24 lowercase letters and numbers; it becomes NAME.core.windows.net.",
    )
    region = forms.ModelChoiceField(label="Region", queryset=Region.objects.all(), empty_label=None)


class AffinityGroupForm(PortalForm):
    """New affinity group: a name and the region it keeps its members in."""

    name = forms.CharField(label="Affinity Group Name", max_length=63, validators=[validate_visible_name])
    region = forms.ModelChoiceField(label="Region", queryset=Region.objects.all(), empty_label=None)


class VirtualNetworkForm(PortalForm):
    """New virtual network: a name, its affinity group, its address space and a first subnet."""

    error_messages = {
        "address_space": "Enter an address space in CIDR notation, such as 10.0.0.0/16.",
        "subnet_prefix": "Enter a subnet in CIDR notation, such as 10.0.0.0/24.",
        "subnet_outside": "The subnet must lie inside the address space %(space)s.",
    }

    name = forms.CharField(label="Virtual Network Name", max_length=63, validators=[validate_visible_name])
    affinity_group = forms.ModelChoiceField(label="Affinity Group", queryset=AffinityGroup.objects.none())
    address_space = forms.CharField(label="Address Space", max_length=18, initial="10.0.0.0/16")
    subnet_name = forms.CharField(
        label="Subnet Name", max_length=63, initial="Subnet-1", validators=[validate_visible_name]
    )
    subnet_address_prefix = forms.CharField(label="Subnet Address Prefix", max_length=18, initial="10.0.0.0/24")

    def __init__(self, *args, subscription: Subscription, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["affinity_group"].queryset = AffinityGroup.objects.filter(subscription=subscription).order_by(
            "name"
        )

    def clean_address_space(self) -> str:
        return str(self._network(self.cleaned_data["address_space"], "address_space"))

    def clean_subnet_address_prefix(self) -> str:
        return str(self._network(self.cleaned_data["subnet_address_prefix"], "subnet_prefix"))

    def clean(self) -> dict:
        cleaned = super().clean()
        space, prefix = cleaned.get("address_space"), cleaned.get("subnet_address_prefix")
        if space and prefix and not ipaddress.IPv4Network(prefix).subnet_of(ipaddress.IPv4Network(space)):
            self.add_error(
                "subnet_address_prefix",
                ValidationError(self.error_messages["subnet_outside"], code="subnet_outside", params={"space": space}),
            )
        return cleaned

    def _network(self, value: str, code: str) -> ipaddress.IPv4Network:
        try:
            if "/" not in value:
                raise ValueError(value)
            return ipaddress.IPv4Network(value.strip())
        except ValueError as error:
            raise ValidationError(self.error_messages[code], code=code) from error


class CloudServiceForm(PortalForm):
    """New cloud service: a DNS name free everywhere and a region; virtual machines join it later."""

    name = forms.CharField(
        label="URL",
        max_length=24,
        help_text="3 to 24 lowercase letters and numbers; it becomes NAME.cloudapp.net.",
    )
    region = forms.ModelChoiceField(label="Region", queryset=Region.objects.all(), empty_label=None)

    # The services name the DNS name dns_name; here it is the name field.
    SERVICE_FIELDS = {"dns_name": "name"}
