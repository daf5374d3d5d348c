"""Applications: their roles (an availability set or a lone VM each), the dependencies between roles, and drills."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from availability.models import AvailabilitySet
from portal.models import Subscription
from vms.models import VirtualMachine


class Application(models.Model):
    """VMs that serve one purpose together, in roles that depend on one another."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="applications")
    name = models.CharField("Application Name", max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "subscription",
                Lower("name"),
                name="application_name_unique_in_subscription",
                violation_error_message="This subscription already has an application with that name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("applications:detail", args=[self.pk])


class Role(models.Model):
    """One tier of an application: the VMs of an availability set, or one VM in no set."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField("Role Name", max_length=64)
    # Deleting the set or VM leaves the role with nothing to serve it: the assessment then finds it down.
    availability_set = models.ForeignKey(
        AvailabilitySet, on_delete=models.SET_NULL, null=True, blank=True, related_name="application_roles"
    )
    virtual_machine = models.ForeignKey(
        VirtualMachine, on_delete=models.SET_NULL, null=True, blank=True, related_name="application_roles"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "pk"]
        constraints = [
            models.UniqueConstraint(
                "application",
                Lower("name"),
                name="role_name_unique_in_application",
                violation_error_message="This application already has a role with that name.",
            ),
            models.CheckConstraint(
                condition=Q(availability_set__isnull=True) | Q(virtual_machine__isnull=True),
                name="role_is_a_set_or_a_vm",
                violation_error_message="A role is an availability set or a single virtual machine, not both.",
            ),
            models.UniqueConstraint(
                fields=["application", "availability_set"],
                name="set_in_one_role_per_application",
                violation_error_message="This availability set is already a role of the application.",
            ),
            models.UniqueConstraint(
                fields=["application", "virtual_machine"],
                name="vm_in_one_role_per_application",
                violation_error_message="This virtual machine is already a role of the application.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Dependency(models.Model):
    """Role `role` cannot serve without role `depends_on`."""

    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="dependencies")
    depends_on = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="dependants")

    class Meta:
        ordering = ["role", "depends_on"]
        verbose_name_plural = "dependencies"
        constraints = [
            models.UniqueConstraint(
                fields=["role", "depends_on"],
                name="dependency_unique",
                violation_error_message="The role already depends on that role.",
            ),
            models.CheckConstraint(
                condition=~Q(role=F("depends_on")),
                name="dependency_not_on_itself",
                violation_error_message="A role cannot depend on itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} depends on {self.depends_on}"


class Drill(models.Model):
    """A rehearsal on the fabric: a planned maintenance walk or a rack failure, step by step through the worker."""

    class Kind(models.TextChoices):
        WALK = "walk", "Planned maintenance walk"
        RACK_FAILURE = "rack_failure", "Rack failure"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"
        FAILED = "failed", "Failed"

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="drills")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    fault_domain = models.PositiveSmallIntegerField(null=True, blank=True)
    role = models.ForeignKey(
        "Role",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The role whose set loses the rack; empty: the fault domain of every set at once.",
    )
    role_name = models.CharField(max_length=64, blank=True)
    failure_seconds = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    stop_requested = models.BooleanField(default=False)
    waiting_for_rotation = models.BooleanField(
        default=False, help_text="The step's VMs are running again and the drill waits for them to be back in rotation."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The steps to walk (lists of VM ids), the step under way, and each held VM's power state before the drill.
    plan = models.JSONField(default=list, blank=True)
    step = models.PositiveSmallIntegerField(default=0)
    step_operations = models.JSONField(default=list, blank=True, help_text="The operations of the step under way.")
    prior_states = models.JSONField(default=dict, blank=True)
    predicted_survives = models.BooleanField(default=True)
    predicted_down = models.JSONField(
        default=list, blank=True, help_text="Names of the roles the assessment expects down."
    )
    predicted_blame = models.CharField(max_length=64, blank=True)
    observed_down = models.JSONField(
        default=list, blank=True, help_text="Names of the roles seen down during the drill."
    )
    observed_blame = models.CharField(max_length=64, blank=True)
    down_seconds = models.FloatField(default=0)
    went_down = models.BooleanField(default=False)
    outcome = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status="running"),
                name="one_drill_at_a_time_per_application",
                violation_error_message="A drill of this application is already running.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("applications:drill", args=[self.application_id, self.pk])

    @property
    def title(self) -> str:
        if self.kind == self.Kind.RACK_FAILURE:
            where = f"of {self.role_name}" if self.role_name else "of every set"
            return f"Rack failure of fault domain {self.fault_domain} {where}"
        return str(self.Kind.WALK.label)

    @property
    def holder(self) -> str:
        """Name the drill as it holds VMs: the message a refused command shows."""
        return f"a drill of {self.application.name} ({self.title.lower()})"

    @property
    def running(self) -> bool:
        return self.status == self.Status.RUNNING

    @property
    def matched_prediction(self) -> bool:
        return self.went_down == (not self.predicted_survives) and self.observed_blame == self.predicted_blame


class DrillEvent(models.Model):
    """One moment of a drill's timeline: a step, or a change in whether the application is up."""

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    text = models.CharField(max_length=300)
    application_up = models.BooleanField()
    down_roles = models.JSONField(default=list, blank=True)
    blamed = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["drill", "at", "pk"]

    def __str__(self) -> str:
        return self.text
