"""Availability sets and the fault/update-domain slot each member VM holds."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from fabric.models import Rack
from portal.validators import validate_visible_name
from vms.models import CloudService, VirtualMachine

MAX_FAULT_DOMAINS = 3
MAX_UPDATE_DOMAINS = 20


class AvailabilitySet(models.Model):
    """VMs of one cloud service that the platform keeps apart: across racks and across update rounds."""

    cloud_service = models.ForeignKey(CloudService, on_delete=models.CASCADE, related_name="availability_sets")
    name = models.CharField("Availability Set Name", max_length=64, validators=[validate_visible_name])
    fault_domain_count = models.PositiveSmallIntegerField(default=2)
    update_domain_count = models.PositiveSmallIntegerField(default=5)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "cloud_service",
                Lower("name"),
                name="availability_set_name_unique_in_cloud_service",
                violation_error_message="This cloud service already has an availability set with that name.",
            ),
            models.CheckConstraint(
                condition=Q(fault_domain_count__gte=1, fault_domain_count__lte=MAX_FAULT_DOMAINS),
                name="availability_set_fault_domain_count_range",
                violation_error_message="An availability set has 1 to 3 fault domains.",
            ),
            models.CheckConstraint(
                condition=Q(update_domain_count__gte=1, update_domain_count__lte=MAX_UPDATE_DOMAINS),
                name="availability_set_update_domain_count_range",
                violation_error_message="An availability set has 1 to 20 update domains.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("availability:detail", args=[self.pk])


class Membership(models.Model):
    """A VM's place in its set: one fault domain and one update domain."""

    virtual_machine = models.OneToOneField(VirtualMachine, on_delete=models.CASCADE, related_name="membership")
    availability_set = models.ForeignKey(AvailabilitySet, on_delete=models.CASCADE, related_name="memberships")
    fault_domain = models.PositiveSmallIntegerField()
    update_domain = models.PositiveSmallIntegerField()
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["availability_set", "update_domain", "fault_domain", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fault_domain__gte=0, fault_domain__lt=MAX_FAULT_DOMAINS),
                name="membership_fault_domain_range",
                violation_error_message="A fault domain is numbered 0 to 2.",
            ),
            models.CheckConstraint(
                condition=Q(update_domain__gte=0, update_domain__lt=MAX_UPDATE_DOMAINS),
                name="membership_update_domain_range",
                violation_error_message="An update domain is numbered 0 to 19.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.virtual_machine} in {self.availability_set} (FD {self.fault_domain}, UD {self.update_domain})"

    def clean(self) -> None:
        errors = {}
        if (
            self.availability_set_id
            and self.virtual_machine_id
            and self.availability_set.cloud_service_id != self.virtual_machine.cloud_service_id
        ):
            errors["availability_set"] = ValidationError(
                "A virtual machine can join only an availability set of its own cloud service.",
                code="other_cloud_service",
            )
        if self.availability_set_id:
            if self.fault_domain is not None and self.fault_domain >= self.availability_set.fault_domain_count:
                errors["fault_domain"] = ValidationError(
                    "This set has fault domains 0 to %(last)s.",
                    code="fault_domain_range",
                    params={"last": self.availability_set.fault_domain_count - 1},
                )
            if self.update_domain is not None and self.update_domain >= self.availability_set.update_domain_count:
                errors["update_domain"] = ValidationError(
                    "This set has update domains 0 to %(last)s.",
                    code="update_domain_range",
                    params={"last": self.availability_set.update_domain_count - 1},
                )
        if errors:
            raise ValidationError(errors)


class FaultDomainRack(models.Model):
    """The rack a set's fault domain is bound to: its members in that fault domain run on that rack's hosts.

    A fault domain is bound when its first member is placed, and the bindings go when the set is empty again.
    """

    availability_set = models.ForeignKey(AvailabilitySet, on_delete=models.CASCADE, related_name="rack_bindings")
    fault_domain = models.PositiveSmallIntegerField()
    rack = models.ForeignKey(Rack, on_delete=models.PROTECT, related_name="fault_domain_bindings")

    class Meta:
        ordering = ["availability_set", "fault_domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["availability_set", "fault_domain"],
                name="fault_domain_rack_unique_in_set",
                violation_error_message="This fault domain of the set is already bound to a rack.",
            ),
            models.CheckConstraint(
                condition=Q(fault_domain__gte=0, fault_domain__lt=MAX_FAULT_DOMAINS),
                name="fault_domain_rack_fault_domain_range",
                violation_error_message="A fault domain is numbered 0 to 2.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.availability_set} fault domain {self.fault_domain} on rack {self.rack}"
