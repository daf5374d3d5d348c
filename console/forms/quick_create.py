"""New -> Virtual Machine -> Quick Create: one page that validates what the deploy needs and never writes."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.views.decorators.debug import sensitive_variables

from console.forms.common import PASSWORD_HELP, DnsNameField, SizeWithinQuotaMixin, location_arguments
from portal.forms import add_service_error
from portal.models import Subscription
from vms.models import OSFamily, Region, RoleSize
from vms.selectors import gallery_images, location_choices
from vms.services.cloud_services import cloud_service_quota_check, dns_name_check
from vms.services.storage import storage_account_generated_check
from vms.validators import validate_admin_password, validate_admin_username, validate_vm_name


class QuickCreateForm(SizeWithinQuotaMixin, forms.Form):
    """New -> Virtual Machine -> Quick Create: one page, a new cloud service named like the VM, a password."""

    error_messages = {
        "password_mismatch": "The passwords do not match.",
        "location_required": "Choose a region, affinity group or virtual network.",
    }

    # The deploy service's names for what this form asks as one field.
    SERVICE_FIELDS = {"name": "dns_name", "image_version": "image", "storage_account": "location"}

    dns_name = DnsNameField()
    image = forms.ModelChoiceField(
        queryset=gallery_images(),
        label="Image",
        empty_label="Choose an image",
        error_messages={"required": "Choose an image.", "invalid_choice": "Choose one of the gallery's images."},
    )
    size = forms.ModelChoiceField(queryset=RoleSize.objects.all(), label="Size", empty_label=None)
    admin_username = forms.CharField(label="User Name", max_length=64, initial="azureuser")
    admin_password = forms.CharField(
        label="New Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter a password."},
    )
    confirm_password = forms.CharField(
        label="Confirm",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter the password again."},
    )
    location = forms.ChoiceField(label="Region/Affinity Group/Virtual Network")

    def __init__(self, *args, subscription: Subscription, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs.setdefault("class", "form-select" if select else "form-control")
        self.fields["dns_name"].help_text = "The virtual machine and its new cloud service NAME.cloudapp.net."
        self.fields["admin_password"].explanation = PASSWORD_HELP
        self.fields["image"].queryset = gallery_images().prefetch_related("versions")
        self.fields["location"].choices, self.locations = location_choices(subscription)
        self.fields["location"].error_messages["required"] = self.error_messages["location_required"]

    @property
    def os_family(self) -> str:
        image = self.cleaned_data.get("image")
        return image.os_family if image else OSFamily.WINDOWS

    def clean_dns_name(self) -> str:
        return self.cleaned_data["dns_name"].strip()

    @sensitive_variables()
    def clean_admin_password(self) -> str:
        password = self.cleaned_data["admin_password"]
        validate_admin_password(password)
        return password

    def check(self, rule, **arguments) -> None:
        """Apply one of the services' rules; its refusal lands beside the field it concerns, else above the form."""
        try:
            rule(**arguments)
        except ValidationError as error:
            self.add_service_error(error)

    def add_service_error(self, error: ValidationError) -> None:
        """Place each of the service's messages beside its field, or above the form when no field matches."""
        add_service_error(self, error, fields=self.SERVICE_FIELDS)

    @sensitive_variables()
    def clean(self) -> dict:
        cleaned = super().clean()
        name = cleaned.get("dns_name")
        if name:
            self.check(dns_name_check, name=name)
        if name and "image" in cleaned and "dns_name" not in self.errors:
            try:
                validate_vm_name(name, self.os_family)
            except ValidationError as error:
                self.add_error("dns_name", error)
        if cleaned.get("admin_username") and "image" in cleaned:
            try:
                validate_admin_username(cleaned["admin_username"].strip(), self.os_family)
            except ValidationError as error:
                self.add_error("admin_username", error)
        password = cleaned.get("admin_password")
        if password and "confirm_password" in cleaned and cleaned["confirm_password"] != password:
            self.add_error(
                "confirm_password", ValidationError(self.error_messages["password_mismatch"], code="password_mismatch")
            )
        location = self.locations.get(cleaned.get("location") or "")
        if name and "dns_name" not in self.errors:
            self.check(cloud_service_quota_check, subscription=self.subscription)
        if location is not None:
            region = location if isinstance(location, Region) else location.region
            self.check(storage_account_generated_check, subscription=self.subscription, region=region)
        return cleaned

    def deploy_arguments(self) -> dict:
        """Return the deploy service's arguments: the image's newest version, the DNS name as the VM's name."""
        cleaned = self.cleaned_data
        return {
            "image_version": cleaned["image"].versions.all()[0],
            "name": cleaned["dns_name"],
            "dns_name": cleaned["dns_name"],
            "admin_username": cleaned["admin_username"].strip(),
            "admin_password": cleaned["admin_password"],
            "size": cleaned["size"],
            **location_arguments(self.locations[cleaned["location"]]),
        }
