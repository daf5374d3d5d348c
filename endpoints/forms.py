"""The Add wizard's pages and the Edit and Delete dialogs: they parse and check, and never write."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from endpoints.models import (
    DEFAULT_PROBE_COUNT,
    DEFAULT_PROBE_INTERVAL,
    Endpoint,
    LoadBalancedSet,
    ProbeProtocol,
    Protocol,
)
from endpoints.services import (
    endpoint_name_check,
    load_balanced_set_name_check,
    port_check,
    private_port_check,
    probe_checks,
    public_port_check,
)
from vms.models import VirtualMachine

STANDALONE = "standalone"
EXISTING = "existing"

# The well-known endpoints the Name list offers: name -> (protocol, port used for both public and private).
WELL_KNOWN = {
    "HTTP": (Protocol.TCP, 80),
    "HTTPS": (Protocol.TCP, 443),
    "RemoteDesktop": (Protocol.TCP, 3389),
    "SSH": (Protocol.TCP, 22),
    "PowerShell": (Protocol.TCP, 5986),
    "MSSQL": (Protocol.TCP, 1433),
    "MySQL": (Protocol.TCP, 3306),
    "FTP": (Protocol.TCP, 21),
    "SMTP": (Protocol.TCP, 25),
    "DNS": (Protocol.UDP, 53),
    "POP3": (Protocol.TCP, 110),
    "IMAP": (Protocol.TCP, 143),
    "LDAP": (Protocol.TCP, 389),
    "WebDeploy": (Protocol.TCP, 8172),
}


def _filed(form: forms.Form, field: str, check) -> None:
    """Run a service's check and show its refusal beside the field."""
    try:
        check()
    except ValidationError as error:
        form.add_error(field, error)


def _probe_filed(form: forms.Form, data: dict) -> None:
    """Put the probe rules' refusals (endpoints.services.probe_checks) beside their fields, once all are parsed."""
    if {"probe_protocol", "probe_port", "probe_interval", "probe_count"} <= data.keys():
        for field, errors in probe_checks(
            probe_protocol=data["probe_protocol"],
            probe_port=data["probe_port"],
            probe_path=data.get("probe_path", ""),
            probe_interval=data["probe_interval"],
            probe_count=data["probe_count"],
        ).items():
            form.add_error(field, errors)


class KindForm(forms.Form):
    """Page 1: a stand-alone endpoint, or one joining a load-balanced set of the cloud service."""

    kind = forms.ChoiceField(
        label="Add an endpoint to a virtual machine",
        choices=[
            (STANDALONE, "Add a stand-alone endpoint"),
            (EXISTING, "Add an endpoint to an existing load-balanced set"),
        ],
        initial=STANDALONE,
        widget=forms.RadioSelect,
    )
    load_balanced_set = forms.ModelChoiceField(
        label="Load-Balanced Set",
        queryset=LoadBalancedSet.objects.none(),
        required=False,
        empty_label="Choose a load-balanced set",
        error_messages={"invalid_choice": "Choose a load-balanced set of this cloud service."},
    )

    def __init__(self, *args, load_balanced_sets: list[LoadBalancedSet], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["load_balanced_set"].queryset = LoadBalancedSet.objects.filter(
            pk__in=[lb_set.pk for lb_set in load_balanced_sets]
        )
        self.fields["load_balanced_set"].choices = [("", "Choose a load-balanced set")] + [
            (lb_set.pk, f"{lb_set.name} ({lb_set.get_protocol_display()} {lb_set.public_port})")
            for lb_set in load_balanced_sets
        ]

    def clean(self) -> dict:
        data = super().clean()
        if (
            data.get("kind") == EXISTING
            and not data.get("load_balanced_set")
            and not self.has_error("load_balanced_set")
        ):
            self.add_error(
                "load_balanced_set", ValidationError("Choose the load-balanced set to add to.", code="required")
            )
        if data.get("kind") == STANDALONE:
            data["load_balanced_set"] = None
        return data


class EndpointFieldsForm(forms.Form):
    """Name, protocol and ports, with the well-known names filling in what was left empty."""

    name = forms.CharField(
        label="Name",
        max_length=64,
        help_text="Choose a well-known name to fill in the protocol and ports, or type a name of your own.",
        widget=forms.TextInput(attrs={"list": "well-known-endpoints", "autocomplete": "off"}),
        error_messages={"required": "Enter a name for the endpoint."},
    )
    protocol = forms.ChoiceField(label="Protocol", choices=Protocol.choices, required=False)
    public_port = forms.IntegerField(
        label="Public Port", required=False, error_messages={"invalid": "Enter a port from 1 to 65535."}
    )
    private_port = forms.IntegerField(
        label="Private Port", required=False, error_messages={"invalid": "Enter a port from 1 to 65535."}
    )

    def __init__(self, *args, vm: VirtualMachine, load_balanced_set: LoadBalancedSet | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.vm = vm
        self.load_balanced_set = load_balanced_set
        if load_balanced_set is not None:
            for field, value in (
                ("protocol", load_balanced_set.protocol),
                ("public_port", load_balanced_set.public_port),
                ("private_port", load_balanced_set.private_port),
            ):
                self.fields[field].disabled = True
                self.fields[field].initial = value
                self.fields[field].help_text = f"Shared by the members of {load_balanced_set.name}."

    def clean(self) -> dict:
        data = super().clean()
        name = (data.get("name") or "").strip()
        known = next((value for key, value in WELL_KNOWN.items() if key.lower() == name.lower()), None)
        if known is not None:
            data["protocol"] = data.get("protocol") or known[0]
            for field in ("public_port", "private_port"):
                if data.get(field) is None and not self.has_error(field):
                    data[field] = known[1]
        if not data.get("protocol"):
            data["protocol"] = Protocol.TCP
        for field in ("public_port", "private_port"):
            if not self.has_error(field):
                try:
                    port_check(data.get(field))
                except ValidationError as error:
                    self.add_error(field, error)
        return data

    def endpoint_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"].strip(),
            "protocol": data["protocol"],
            "public_port": data["public_port"],
            "private_port": data["private_port"],
        }


class DetailsForm(EndpointFieldsForm):
    """Page 2: the endpoint's details, and for a stand-alone one whether it starts a load-balanced set."""

    create_set = forms.BooleanField(label="Create a load-balanced set", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.load_balanced_set is not None:
            del self.fields["create_set"]

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        protocol, public_port, private_port = data["protocol"], data["public_port"], data["private_port"]
        _filed(self, "name", lambda: endpoint_name_check(vm=self.vm, name=data["name"].strip()))
        _filed(
            self,
            "public_port",
            lambda: public_port_check(
                cloud_service=self.vm.cloud_service,
                protocol=protocol,
                public_port=public_port,
                load_balanced_set=self.load_balanced_set,
            ),
        )
        _filed(
            self, "private_port", lambda: private_port_check(vm=self.vm, protocol=protocol, private_port=private_port)
        )
        return data


class ProbeFieldsForm(forms.Form):
    """A load-balanced set's probe: protocol, port, path (HTTP only), interval and number of probes."""

    probe_protocol = forms.ChoiceField(label="Probe Protocol", choices=ProbeProtocol.choices, initial=ProbeProtocol.TCP)
    probe_port = forms.IntegerField(label="Probe Port", error_messages={"invalid": "Enter a port from 1 to 65535."})
    probe_path = forms.CharField(
        label="Probe Path", required=False, initial="/", help_text="HTTP only: the path that answers 200 OK."
    )
    probe_interval = forms.IntegerField(
        label="Probe Interval", initial=DEFAULT_PROBE_INTERVAL, help_text="Seconds between probes."
    )
    probe_count = forms.IntegerField(
        label="Number Of Probes",
        initial=DEFAULT_PROBE_COUNT,
        help_text="Failures in a row before a member is taken out of rotation.",
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("probe_protocol") == ProbeProtocol.TCP:
            data["probe_path"] = ""
        _probe_filed(self, data)
        return data


class SetForm(ProbeFieldsForm):
    """Page 3, when creating a set: its name and its probe."""

    load_balanced_set_name = forms.CharField(
        label="Load-Balanced Set Name", max_length=64, error_messages={"required": "Enter a name for the set."}
    )

    field_order = ["load_balanced_set_name"]

    def __init__(self, *args, vm: VirtualMachine, private_port: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.vm = vm
        if private_port is not None:
            self.fields["probe_port"].initial = private_port

    def clean(self) -> dict:
        data = super().clean()
        if "load_balanced_set_name" in data:
            _filed(
                self,
                "load_balanced_set_name",
                lambda: load_balanced_set_name_check(
                    cloud_service=self.vm.cloud_service, name=data["load_balanced_set_name"].strip()
                ),
            )
        return data

    def endpoint_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "load_balanced_set_name": data["load_balanced_set_name"].strip(),
            "probe_protocol": data["probe_protocol"],
            "probe_port": data["probe_port"],
            "probe_path": data["probe_path"],
            "probe_interval": data["probe_interval"],
            "probe_count": data["probe_count"],
        }


class EditForm(EndpointFieldsForm):
    """The Edit dialog: a stand-alone endpoint's name and ports; a member's name (its set holds the ports)."""

    def __init__(self, *args, endpoint: Endpoint, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "name": endpoint.name,
                "protocol": endpoint.protocol,
                "public_port": endpoint.public_port,
                "private_port": endpoint.private_port,
            },
        )
        super().__init__(*args, vm=endpoint.virtual_machine, load_balanced_set=endpoint.load_balanced_set, **kwargs)
        self.endpoint = endpoint


class DeleteForm(forms.Form):
    confirmed = forms.BooleanField(widget=forms.HiddenInput, initial=True)


class ProbeForm(ProbeFieldsForm):
    """A load-balanced set's probe, changed for every member at once (as Set-AzureLoadBalancedEndpoint did)."""

    def __init__(self, *args, load_balanced_set: LoadBalancedSet, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "probe_protocol": load_balanced_set.probe_protocol,
                "probe_port": load_balanced_set.probe_port,
                "probe_path": load_balanced_set.probe_path or "/",
                "probe_interval": load_balanced_set.probe_interval,
                "probe_count": load_balanced_set.probe_count,
            },
        )
        super().__init__(*args, **kwargs)
