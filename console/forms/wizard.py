"""The From Gallery wizard's pages: each validates what it can and never writes."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.views.decorators.debug import sensitive_variables

from availability.models import AvailabilitySet
from availability.services import availability_set_name_check
from console.forms.common import PASSWORD_HELP, DnsNameField, SizeWithinQuotaMixin, location_arguments
from portal.forms import add_service_error
from portal.models import Subscription
from portal.validators import validate_visible_name
from vms.models import (
    AffinityGroup,
    CloudService,
    Image,
    ImageVersion,
    OSFamily,
    Region,
    RoleSize,
    StorageAccount,
    VirtualNetwork,
)
from vms.selectors import (
    cloud_services_matching,
    cloud_services_to_connect,
    gallery_images,
    location_choices,
    location_sources,
)
from vms.services.cloud_services import cloud_service_capacity_check, cloud_service_quota_check, dns_name_check
from vms.services.storage import storage_account_generated_check, storage_account_region_check
from vms.services.usage import subscription_cores_in_use
from vms.validators import (
    ssh_certificate_thumbprint,
    validate_admin_password,
    validate_admin_username,
    validate_vm_name,
)

MAX_CERTIFICATE_BYTES = 64 * 1024
STANDALONE = "standalone"
CONNECT = "connect"
NO_SET = ""
CREATE_SET = "create"

AVAILABILITY_SET_HELP = (
    "Virtual machines in one availability set are spread over 2 fault domains (racks) and 5 update domains "
    "(maintenance rounds), so that a rack failure or planned maintenance never stops all of them. Put two or more "
    "virtual machines of the same role in a set to qualify for the 99.95% service level."
)


class ImageForm(forms.Form):
    """Page 1: Select the virtual machine operating system."""

    image = forms.ModelChoiceField(
        queryset=gallery_images(),
        label="Platform Images",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": "Select an image to continue.",
            "invalid_choice": "Select one of the gallery's images.",
        },
    )

    def deploy_arguments(self) -> dict:
        """Return what the deploy service needs from this page: the image's version is chosen on the next."""
        return {}


class ReleaseDateChoiceField(forms.ModelChoiceField):
    """An image's versions by release date; a posted one is found among those already read."""

    versions: list[ImageVersion] | None = None

    def label_from_instance(self, obj: ImageVersion) -> str:
        return f"{obj.release_date:%m/%d/%Y}"

    def to_python(self, value):
        if self.versions is None or value in self.empty_values:
            return super().to_python(value)
        for version in self.versions:
            if str(version.pk) == str(value):
                return version
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


class ConfigurationForm(SizeWithinQuotaMixin, forms.Form):
    """Page 2: Virtual machine configuration."""

    error_messages = {
        "no_image": "Select an image on the first page.",
        "password_mismatch": "The passwords do not match.",
        "no_credentials": "Choose an SSH key, a password, or both.",
        "certificate_required": "Upload a .pem certificate, or clear the SSH key option.",
        "certificate_too_large": "The certificate file is too large for a .pem certificate.",
    }

    image_version = ReleaseDateChoiceField(queryset=ImageVersion.objects.none(), label="Version Release Date")
    name = forms.CharField(label="Virtual Machine Name", max_length=64)
    admin_username = forms.CharField(label="New User Name", max_length=64)
    use_ssh_key = forms.BooleanField(
        label="Upload compatible SSH key for authentication",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    ssh_certificate = forms.FileField(
        label="SSH certificate (.pem)",
        required=False,
        help_text="An X.509 certificate that wraps an RSA public key.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pem,.cer,.crt", "class": "form-control"}),
    )
    use_password = forms.BooleanField(
        label="Provide a Password",
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    admin_password = forms.CharField(
        label="New Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "form-control"}),
    )
    confirm_password = forms.CharField(
        label="Confirm Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "class": "form-control"}),
    )
    size = forms.ModelChoiceField(queryset=RoleSize.objects.all(), label="Size", empty_label=None)

    def __init__(self, *args, image: Image | None, subscription: Subscription, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.image = image
        self.subscription = subscription
        self.ssh_thumbprint = ""
        for name in ("name", "admin_username"):
            self.fields[name].widget.attrs["class"] = "form-control"
        for name in ("image_version", "size"):
            self.fields[name].widget.attrs["class"] = "form-select"
        versions = list(image.versions.all()) if image else []
        if len(versions) > 1:
            self.fields["image_version"].queryset = image.versions.all()
            self.fields["image_version"].versions = versions
            self.fields["image_version"].empty_label = None
            self.fields["image_version"].initial = versions[0].pk
        else:
            del self.fields["image_version"]
        self.only_version = versions[0] if len(versions) == 1 else None
        if not self.is_linux:
            del self.fields["use_ssh_key"]
            del self.fields["ssh_certificate"]
            del self.fields["use_password"]
        self.cores_in_use = subscription_cores_in_use(subscription)
        self.cores_free = max(subscription.core_quota - self.cores_in_use, 0)
        self.fields[
            "size"
        ].help_text = f"{self.cores_free} of this subscription's {subscription.core_quota} cores are available."
        self.fields["admin_password"].explanation = PASSWORD_HELP

    @property
    def is_linux(self) -> bool:
        return self.image is not None and self.image.os_family == OSFamily.LINUX

    @property
    def os_family(self) -> str:
        return self.image.os_family if self.image else OSFamily.WINDOWS

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        validate_vm_name(name, self.os_family)
        return name

    def clean_admin_username(self) -> str:
        username = self.cleaned_data["admin_username"].strip()
        validate_admin_username(username, self.os_family)
        return username

    @sensitive_variables()
    def clean_admin_password(self) -> str:
        password = self.cleaned_data["admin_password"]
        if password:
            validate_admin_password(password)
        return password

    def clean_ssh_certificate(self):
        certificate = self.cleaned_data.get("ssh_certificate")
        if not certificate:
            return certificate
        # Checked whatever else is posted: a file too large is refused even when the SSH key option is clear.
        if certificate.size > MAX_CERTIFICATE_BYTES:
            raise ValidationError(self.error_messages["certificate_too_large"], code="certificate_too_large")
        if not self.cleaned_data.get("use_ssh_key"):
            return None  # not asked for, so not kept
        certificate.seek(0)
        self.ssh_thumbprint = ssh_certificate_thumbprint(certificate.read())
        certificate.seek(0)
        return certificate

    @sensitive_variables()
    def clean(self) -> dict:
        cleaned = super().clean()
        if self.image is None:
            raise ValidationError(self.error_messages["no_image"], code="no_image")
        wants_password = not self.is_linux or cleaned.get("use_password")
        if self.is_linux:
            if not cleaned.get("use_ssh_key") and not cleaned.get("use_password"):
                self.add_error(
                    "use_password", ValidationError(self.error_messages["no_credentials"], code="no_credentials")
                )
            if (
                cleaned.get("use_ssh_key")
                and not cleaned.get("ssh_certificate")
                and "ssh_certificate" not in self.errors
            ):
                self.add_error(
                    "ssh_certificate",
                    ValidationError(self.error_messages["certificate_required"], code="certificate_required"),
                )
        if wants_password and "admin_password" not in self.errors:
            if not cleaned.get("admin_password"):
                self.add_error("admin_password", ValidationError("Enter a password.", code="required"))
            elif cleaned.get("confirm_password") != cleaned["admin_password"]:
                self.add_error(
                    "confirm_password",
                    ValidationError(self.error_messages["password_mismatch"], code="password_mismatch"),
                )
        return cleaned

    def deploy_arguments(self) -> dict:
        """Return what the deploy service needs from this page."""
        cleaned = self.cleaned_data
        wants_password = not self.is_linux or cleaned.get("use_password")
        certificate = cleaned.get("ssh_certificate") if self.is_linux and cleaned.get("use_ssh_key") else None
        if certificate is not None:
            certificate.seek(0)
        return {
            "image_version": cleaned.get("image_version") or self.only_version,
            "name": cleaned["name"],
            "admin_username": cleaned["admin_username"],
            "admin_password": cleaned["admin_password"] if wants_password else "",
            "ssh_certificate": certificate.read() if certificate is not None else None,
            "size": cleaned["size"],
        }


class LocationField(forms.ChoiceField):
    """A choice among many locations that checks a posted one by looking up that one alone."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.resolve = lambda key: None

    def valid_value(self, value: str) -> bool:
        return self.resolve(value) is not None


class ModeForm(forms.Form):
    """Page 3: Virtual machine mode."""

    error_messages = {
        "dns_name_required": "Enter a DNS name for the new cloud service.",
        "cloud_service_required": "Choose the cloud service of the virtual machine to connect to.",
        "location_required": "Choose a region, affinity group or virtual network.",
    }

    mode = forms.ChoiceField(
        label="Virtual machine mode",
        choices=[(STANDALONE, "Stand-alone virtual machine"), (CONNECT, "Connect to existing Virtual Machine")],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        initial=STANDALONE,
    )
    dns_name = DnsNameField(required=False)
    # A subscription may hold a thousand cloud services: the field takes a DNS name, and the page suggests matching
    # ones as it is typed (htmx) instead of listing them all.
    cloud_service = forms.ModelChoiceField(
        queryset=CloudService.objects.none(),
        label="Cloud Service",
        required=False,
        to_field_name="name",
        widget=forms.TextInput,
        help_text="Type the DNS name of the cloud service that holds the virtual machine to connect to.",
        error_messages={
            "invalid_choice": "None of this subscription's cloud services with a virtual machine is named %(value)s."
        },
    )
    storage_account = forms.ModelChoiceField(
        queryset=StorageAccount.objects.none(),
        label="Storage Account",
        required=False,
        empty_label="Use an automatically generated storage account",
    )
    location = LocationField(label="Region/Affinity Group/Virtual Network", required=False)

    def __init__(self, *args, subscription: Subscription, service_checks: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        # Off when the wizard finishes: the deploy service applies the same rules, under the subscription's lock.
        self.service_checks = service_checks
        for name in ("storage_account", "location"):
            self.fields[name].widget.attrs["class"] = "form-select"
        self.fields["cloud_service"].queryset = cloud_services_to_connect(subscription=subscription)
        self.fields["cloud_service"].widget.attrs.update(
            {
                "class": "form-control",
                "list": "cloud-service-options",
                "autocomplete": "off",
                "spellcheck": "false",
                "hx-get": reverse("vms:cloud-service-search"),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#cloud-service-options",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        self.fields["storage_account"].queryset = StorageAccount.objects.filter(
            subscription=subscription
        ).select_related("region")
        self.fields["storage_account"].label_from_instance = lambda account: f"{account.name} ({account.region})"
        self.locations: dict[str, Region | AffinityGroup | VirtualNetwork | None] = {}
        # Read every location only to draw the list; a posted one is looked up by itself.
        self.fields["location"].choices = self.location_choices
        self.fields["location"].resolve = self.location_for

    def cloud_service_suggestions(self) -> list[CloudService]:
        """The first cloud services whose name starts with what is in the field, for its list of suggestions."""
        value = self["cloud_service"].value()
        text = value if isinstance(value, str) else ""
        return cloud_services_matching(subscription=self.subscription, text=text)

    def location_choices(self) -> list:
        """List every region, affinity group and virtual network, grouped, for the select (read once)."""
        if not hasattr(self, "_location_choices"):
            self._location_choices, found = location_choices(self.subscription)
            self.locations.update(found)
        return self._location_choices

    def location_for(self, key: str) -> Region | AffinityGroup | VirtualNetwork | None:
        """Return the region, affinity group or virtual network a choice such as "region-3" names, or None."""
        if key not in self.locations:
            kind, _, pk = key.rpartition("-")
            source = location_sources(self.subscription).get(kind)
            self.locations[key] = source.filter(pk=pk).first() if source is not None and pk.isdigit() else None
        return self.locations[key]

    def clean(self) -> dict:
        cleaned = super().clean()
        mode = cleaned.get("mode")
        if mode == STANDALONE:
            self._clean_standalone(cleaned)
        elif mode == CONNECT:
            self._clean_connect(cleaned)
        region = self.region
        account = cleaned.get("storage_account")
        if region is not None:
            if account is not None:
                self.check(storage_account_region_check, storage_account=account, region=region)
            else:
                self.check(storage_account_generated_check, subscription=self.subscription, region=region)
        return cleaned

    def check(self, rule, **arguments) -> None:
        """Apply one of the services' rules; its refusal lands beside the field it concerns."""
        if not self.service_checks:
            return
        try:
            rule(**arguments)
        except ValidationError as error:
            add_service_error(self, error)

    def _clean_standalone(self, cleaned: dict) -> None:
        cleaned["cloud_service"] = None
        name = cleaned.get("dns_name", "").strip()
        cleaned["dns_name"] = name
        if not name:
            self.add_error("dns_name", ValidationError(self.error_messages["dns_name_required"], code="required"))
        else:
            self.check(dns_name_check, name=name)
            if "dns_name" not in self.errors:
                self.check(cloud_service_quota_check, subscription=self.subscription)
        if not cleaned.get("location") and "location" not in self.errors:
            self.add_error("location", ValidationError(self.error_messages["location_required"], code="required"))

    def _clean_connect(self, cleaned: dict) -> None:
        cleaned["dns_name"] = ""
        cleaned["location"] = ""
        service = cleaned.get("cloud_service")
        if service is None:
            if "cloud_service" not in self.errors:
                self.add_error(
                    "cloud_service", ValidationError(self.error_messages["cloud_service_required"], code="required")
                )
        else:
            self.check(cloud_service_capacity_check, cloud_service=service)

    @property
    def location_object(self) -> Region | AffinityGroup | VirtualNetwork | None:
        return self.locations.get(self.cleaned_data.get("location") or "")

    @property
    def region(self) -> Region | None:
        """Return the region the new VM will be in, once the page is valid enough to know it."""
        service = self.cleaned_data.get("cloud_service")
        if service is not None:
            return service.region
        location = self.location_object
        return location if isinstance(location, Region) or location is None else location.region

    @property
    def virtual_network(self) -> VirtualNetwork | None:
        service = self.cleaned_data.get("cloud_service")
        if service is not None:
            return service.virtual_network
        location = self.location_object
        return location if isinstance(location, VirtualNetwork) else None

    def deploy_arguments(self) -> dict:
        """Return what the deploy service needs from this page."""
        cleaned = self.cleaned_data
        location = self.location_object
        return {
            "cloud_service": cleaned["cloud_service"],
            "dns_name": cleaned["dns_name"],
            **location_arguments(location),
            "storage_account": cleaned["storage_account"],
        }


class OptionsForm(forms.Form):
    """Page 4: Virtual machine options."""

    error_messages = {
        "set_name_required": "Enter a name for the availability set.",
    }

    availability_set = forms.ChoiceField(label="Availability Set", required=False)
    availability_set_name = forms.CharField(
        label="Availability Set Name", required=False, max_length=64, validators=[validate_visible_name]
    )
    subnet = forms.ModelChoiceField(queryset=None, label="Subnet", empty_label=None)

    def __init__(
        self,
        *args,
        cloud_service: CloudService | None,
        virtual_network: VirtualNetwork | None,
        service_checks: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.cloud_service = cloud_service
        self.service_checks = service_checks
        self.fields["availability_set"].widget.attrs["class"] = "form-select"
        self.fields["availability_set_name"].widget.attrs["class"] = "form-control"
        self.fields["availability_set"].explanation = AVAILABILITY_SET_HELP
        self.sets = {
            str(availability_set.pk): availability_set
            for availability_set in (
                AvailabilitySet.objects.filter(cloud_service=cloud_service) if cloud_service else []
            )
        }
        self.fields["availability_set"].choices = [
            (NO_SET, "None"),
            (CREATE_SET, "Create availability set"),
            *((key, availability_set.name) for key, availability_set in self.sets.items()),
        ]
        if virtual_network is None:
            del self.fields["subnet"]
        else:
            self.fields["subnet"].queryset = virtual_network.subnets.all()
            self.fields["subnet"].widget.attrs["class"] = "form-select"

    def clean(self) -> dict:
        cleaned = super().clean()
        choice = cleaned.get("availability_set")
        name = cleaned.get("availability_set_name", "").strip()
        cleaned["availability_set_name"] = name if choice == CREATE_SET else ""
        cleaned["availability_set"] = self.sets.get(choice or "")
        if choice != CREATE_SET:
            return cleaned
        if not name:
            self.add_error(
                "availability_set_name", ValidationError(self.error_messages["set_name_required"], code="required")
            )
        elif self.cloud_service is not None and self.service_checks:
            try:
                availability_set_name_check(cloud_service=self.cloud_service, name=name)
            except ValidationError as error:
                self.add_error("availability_set_name", error)
        return cleaned

    def deploy_arguments(self) -> dict:
        """Return what the deploy service needs from this page."""
        return {
            "availability_set": self.cleaned_data["availability_set"],
            "availability_set_name": self.cleaned_data["availability_set_name"],
            "subnet": self.cleaned_data.get("subnet"),
        }
