"""Forms of the application pages: they validate input and hand plain arguments to the services, never writing."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from applications.models import Drill, Role
from applications.selectors import role_target_label, role_targets_named
from applications.services import MAX_FAILURE_SECONDS
from availability.models import MAX_FAULT_DOMAINS, AvailabilitySet
from portal.models import Subscription

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
    """A role's name and what it is: one of the subscription's availability sets, or one of its VMs in no set.

    The target is typed, "name (cloud service)", with suggestions as it is typed (the page lists no subscription's
    worth of sets and VMs); a bare name will do when only one set or VM has it.
    """

    name = forms.CharField(
        label="Role Name",
        max_length=64,
        widget=forms.TextInput(attrs=TEXT),
        error_messages={"required": "Enter a name for the role."},
    )
    target = forms.CharField(
        label="Availability set or virtual machine",
        max_length=200,
        error_messages={
            "required": "Choose an availability set or a virtual machine.",
            "invalid_choice": "Choose an availability set or a virtual machine of this subscription.",
            "unknown": "Choose an availability set or a virtual machine of this subscription: none is called %(text)s.",
            "ambiguous": "More than one availability set or virtual machine is called %(text)s: choose one from the "
            "list, with its cloud service.",
        },
    )

    def __init__(
        self, *args, subscription: Subscription, suggestions_url: str, role: Role | None = None, **kwargs
    ) -> None:
        self.subscription = subscription
        self.current = (role.availability_set or role.virtual_machine) if role is not None else None
        if role is not None:
            initial = {"name": role.name, "target": role_target_label(self.current) if self.current else ""}
            kwargs.setdefault("initial", initial)
        # The form that adds a role has ids of its own; each role's form has its prefix, "role-<key>".
        kwargs.setdefault("auto_id", "id_%s" if role is not None else "new-role-%s")
        super().__init__(*args, **kwargs)
        options = f"{self.prefix or 'role'}-target-options"
        self.options_id = options
        self.fields["target"].widget = forms.TextInput(
            attrs={
                **TEXT,
                "list": options,
                "autocomplete": "off",
                "spellcheck": "false",
                "hx-get": suggestions_url,
                "hx-trigger": "focus once, input changed delay:300ms",
                "hx-target": f"#{options}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )

    def clean_target(self) -> str:
        text = self.cleaned_data["target"]
        if self.current is not None and text.strip() == role_target_label(self.current):
            self.target = self.current  # unchanged, even if the VM has since joined a set
            return text
        found = role_targets_named(self.subscription, text)
        if len(found) != 1:
            code = "ambiguous" if found else "unknown"
            messages = self.fields["target"].error_messages
            raise ValidationError(messages[code], code=code, params={"text": text.strip()})
        self.target = found[0]
        return text

    def service_arguments(self) -> dict:
        is_set = isinstance(self.target, AvailabilitySet)
        return {
            "name": self.cleaned_data["name"],
            "availability_set": self.target if is_set else None,
            "virtual_machine": None if is_set else self.target,
        }


class DependencyForm(forms.Form):
    """Which role needs which: both start unchosen, so that no dependency (least of all on itself) is offered."""

    error_messages = {"depends_on_required": "Choose the role that %(role)s depends on."}

    role = forms.ChoiceField(
        label="Role", widget=forms.Select(attrs=SELECT), error_messages={"required": "Choose a role."}
    )
    depends_on = forms.ChoiceField(
        label="Depends on",
        widget=forms.Select(attrs=SELECT),
        error_messages={"required": "Choose the role it depends on."},
    )

    def __init__(self, *args, roles: list[Role], **kwargs) -> None:
        self.roles = {str(role.pk): role for role in roles}
        kwargs.setdefault("auto_id", "dependency-%s")
        super().__init__(*args, **kwargs)
        choices = [("", "Choose a role")] + [(key, role.name) for key, role in self.roles.items()]
        self.fields["role"].choices = choices
        self.fields["depends_on"].choices = choices

    def clean(self) -> dict:
        data = super().clean()
        if self.has_error("depends_on", "required") and data.get("role"):
            del self.errors["depends_on"]
            message = self.error_messages["depends_on_required"]
            role = self.roles[data["role"]].name
            self.add_error("depends_on", ValidationError(message, code="required", params={"role": role}))
        return data

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
        kwargs.setdefault("auto_id", "drill-%s")
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
