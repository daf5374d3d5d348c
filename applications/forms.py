"""Forms of the application pages: they validate input and hand plain arguments to the services, never writing."""

from __future__ import annotations

from django import forms

from applications.models import Drill, Role
from applications.services import MAX_FAILURE_SECONDS
from availability.models import MAX_FAULT_DOMAINS, AvailabilitySet
from vms.models import VirtualMachine

SELECT = {"class": "form-select"}
TEXT = {"class": "form-control"}


class ApplicationForm(forms.Form):
    error_messages = {"required": "Enter a name for the application."}

    name = forms.CharField(
        label="Application Name",
        max_length=64,
        widget=forms.TextInput(attrs=TEXT),
        error_messages={"required": "Enter a name for the application."},
    )


class RoleForm(forms.Form):
    """A role's name and what it is: one of the subscription's availability sets, or one of its VMs in no set."""

    name = forms.CharField(
        label="Role Name",
        max_length=64,
        widget=forms.TextInput(attrs=TEXT),
        error_messages={"required": "Enter a name for the role."},
    )
    target = forms.ChoiceField(
        label="Availability set or virtual machine",
        widget=forms.Select(attrs=SELECT),
        error_messages={
            "required": "Choose an availability set or a virtual machine.",
            "invalid_choice": "Choose an availability set or a virtual machine of this subscription.",
        },
    )

    def __init__(
        self,
        *args,
        availability_sets: list[AvailabilitySet],
        virtual_machines: list[VirtualMachine],
        role: Role | None = None,
        **kwargs,
    ) -> None:
        self.targets: dict[str, AvailabilitySet | VirtualMachine] = {f"set-{s.pk}": s for s in availability_sets}
        self.targets |= {f"vm-{vm.pk}": vm for vm in virtual_machines}
        if role is not None:
            current = role.availability_set or role.virtual_machine
            key = f"{'set' if role.availability_set_id else 'vm'}-{current.pk}" if current else ""
            if current is not None:
                self.targets.setdefault(key, current)
            kwargs.setdefault("initial", {"name": role.name, "target": key})
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [
            ("", "Choose..."),
            (
                "Availability sets",
                [(key, f"{t.name} ({t.cloud_service.name})") for key, t in self.targets.items() if key[0] == "s"],
            ),
            (
                "Virtual machines in no set",
                [(key, f"{t.name} ({t.cloud_service.name})") for key, t in self.targets.items() if key[0] == "v"],
            ),
        ]

    def service_arguments(self) -> dict:
        target = self.targets[self.cleaned_data["target"]]
        is_set = isinstance(target, AvailabilitySet)
        return {
            "name": self.cleaned_data["name"],
            "availability_set": target if is_set else None,
            "virtual_machine": None if is_set else target,
        }


class DependencyForm(forms.Form):
    role = forms.ChoiceField(label="Role", widget=forms.Select(attrs=SELECT))
    depends_on = forms.ChoiceField(label="Depends on", widget=forms.Select(attrs=SELECT))

    def __init__(self, *args, roles: list[Role], **kwargs) -> None:
        self.roles = {str(role.pk): role for role in roles}
        super().__init__(*args, **kwargs)
        choices = [(key, role.name) for key, role in self.roles.items()]
        self.fields["role"].choices = choices
        self.fields["depends_on"].choices = choices

    def service_arguments(self) -> dict:
        return {
            "role": self.roles[self.cleaned_data["role"]],
            "depends_on": self.roles[self.cleaned_data["depends_on"]],
        }


class DrillForm(forms.Form):
    kind = forms.ChoiceField(
        label="Drill", choices=Drill.Kind.choices, initial=Drill.Kind.WALK, widget=forms.RadioSelect
    )
    fault_domain = forms.TypedChoiceField(
        label="Fault domain",
        coerce=int,
        choices=[(fd, f"Fault domain {fd}") for fd in range(MAX_FAULT_DOMAINS)],
        required=False,
        empty_value=None,
        widget=forms.Select(attrs=SELECT),
    )
    role = forms.ChoiceField(label="Sets", required=False, widget=forms.Select(attrs=SELECT))
    failure_seconds = forms.IntegerField(
        label="Seconds until service healing",
        min_value=0,
        max_value=MAX_FAILURE_SECONDS,
        initial=10,
        required=False,
        widget=forms.NumberInput(attrs=TEXT),
        error_messages={
            "min_value": f"A rack failure lasts from 0 to {MAX_FAILURE_SECONDS} seconds.",
            "max_value": f"A rack failure lasts from 0 to {MAX_FAILURE_SECONDS} seconds.",
        },
    )

    def __init__(self, *args, roles: list[Role], **kwargs) -> None:
        self.roles = {str(role.pk): role for role in roles}
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "Every set at once")] + [
            (key, f"The {role.name} role's set only") for key, role in self.roles.items()
        ]

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "fault_domain": data.get("fault_domain"),
            "role": self.roles.get(data.get("role") or ""),
            "failure_seconds": data.get("failure_seconds") or 0,
        }
