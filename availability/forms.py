"""The Configure tab's form and the confirmations that guard deletes."""

from __future__ import annotations

from collections.abc import Iterable

from django import forms

from availability.models import AvailabilitySet
from portal.validators import validate_visible_name
from vms.models import RoleSize, VirtualMachine

NO_SET = "none"
NEW_SET = "new"


class VirtualMachineConfigureForm(forms.Form):
    """A VM's size and its availability set: none, a new one, or one of its own cloud service."""

    error_messages = {
        "name_required": "Enter a name for the availability set.",
    }

    size = forms.ModelChoiceField(
        label="Size",
        queryset=RoleSize.objects.all(),
        empty_label=None,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    availability_set = forms.ChoiceField(label="Availability Set", widget=forms.Select(attrs={"class": "form-select"}))
    availability_set_name = forms.CharField(
        label="Availability Set Name",
        max_length=64,
        required=False,
        validators=[validate_visible_name],
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def __init__(self, *args, vm: VirtualMachine, availability_sets: Iterable[AvailabilitySet], **kwargs) -> None:
        self.sets_by_value = {str(availability_set.pk): availability_set for availability_set in availability_sets}
        membership = getattr(vm, "membership", None)
        kwargs.setdefault(
            "initial",
            {
                "size": vm.size_id,
                "availability_set": str(membership.availability_set_id) if membership else NO_SET,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["availability_set"].choices = [
            (NO_SET, "None"),
            (NEW_SET, "Create Availability Set"),
            *((value, availability_set.name) for value, availability_set in self.sets_by_value.items()),
        ]

    def clean_availability_set(self) -> AvailabilitySet | str | None:
        value = self.cleaned_data["availability_set"]
        if value == NO_SET:
            return None
        if value == NEW_SET:
            return NEW_SET
        return self.sets_by_value[value]

    def clean(self) -> dict:
        cleaned_data = super().clean()
        name = cleaned_data.get("availability_set_name", "").strip()
        if cleaned_data.get("availability_set") == NEW_SET and not name:
            self.add_error(
                "availability_set_name",
                forms.ValidationError(self.error_messages["name_required"], code="required"),
            )
        cleaned_data["availability_set_name"] = name
        return cleaned_data

    def service_arguments(self) -> dict:
        """Return the cleaned choice as virtual_machine_configure's keyword arguments."""
        choice = self.cleaned_data["availability_set"]
        return {
            "size": self.cleaned_data["size"],
            "availability_set": None if choice == NEW_SET else choice,
            "availability_set_name": self.cleaned_data["availability_set_name"] if choice == NEW_SET else "",
        }


class DeleteConfirmationForm(forms.Form):
    """The second step of a delete: the person has seen what goes and said yes."""

    confirmed = forms.BooleanField(widget=forms.HiddenInput, initial=True)


class VirtualMachineDeleteForm(DeleteConfirmationForm):
    """Confirm a VM's delete; for a cloud service's last VM, offer to delete the cloud service too."""

    delete_cloud_service = forms.BooleanField(required=False)

    def __init__(self, *args, vm: VirtualMachine, is_last: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if is_last:
            self.fields["delete_cloud_service"].label = f"Also delete the cloud service {vm.cloud_service.dns_name}"
        else:
            del self.fields["delete_cloud_service"]


class RebalanceConfirmationForm(DeleteConfirmationForm):
    """The second step of a rebalance: the person has seen the plan, which travels back to be checked."""

    plan = forms.CharField(widget=forms.HiddenInput)
