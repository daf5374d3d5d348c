"""Host maintenance runs: the plan staff saw, the round under way, and the timeline the report reads."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse


class MaintenanceRun(models.Model):
    """Maintenance of chosen hosts, round by round, keeping every application up."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        RUNNING = "running", "Running"
        STOPPING = "stopping", "Stopping"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"
        STOPPED = "stopped", "Stopped"

    class Phase(models.TextChoices):
        IDLE = "", "Between rounds"
        SHUTTING_DOWN = "shutting_down", "Shutting down the round's VMs"
        HOSTS = "hosts", "Maintaining the hosts"
        HOSTS_DONE = "hosts_done", "Hosts maintained"
        STARTING = "starting", "Starting the round's VMs"
        ROTATION = "rotation", "Waiting until back in rotation"

    scope = models.CharField(max_length=200, help_text="What staff chose: hosts, a rack or a region.")
    host_ids = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.IDLE, blank=True)
    plan = models.JSONField(
        default=dict, blank=True, help_text="The rounds, the unavoidable downtime, the hosts left out."
    )
    predictions = models.JSONField(
        default=list,
        blank=True,
        help_text="Per application: whether the assessment expects it up, roles expected down.",
    )
    round = models.PositiveSmallIntegerField(default=0, help_text="The round under way (1-based); 0 before the first.")
    round_operations = models.JSONField(default=list, blank=True)
    round_vms = models.JSONField(default=list, blank=True, help_text="The round's VMs shut down, to start again.")
    stop_requested = models.BooleanField(default=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Maintenance of {self.scope}"

    def get_absolute_url(self) -> str:
        return reverse("maintenance:run", args=[self.pk])

    @property
    def active(self) -> bool:
        return self.status in {self.Status.RUNNING, self.Status.STOPPING}

    @property
    def ended(self) -> bool:
        return self.status in {self.Status.COMPLETED, self.Status.FAILED, self.Status.STOPPED}

    @property
    def holder(self) -> str:
        """Name the run as it holds VMs: the message a refused command shows."""
        return f"host maintenance (round {self.round} of {self.scope})"[:100]


class MaintenanceEvent(models.Model):
    """One moment of a run's timeline: a step of a round, a command's output, or a change in what is down."""

    run = models.ForeignKey(MaintenanceRun, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    round = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=300)
    output = models.TextField(blank=True, help_text="The maintenance command's output.")
    down_roles = models.JSONField(
        default=dict, blank=True, help_text="Per application, the roles with no member up at this moment."
    )

    class Meta:
        ordering = ["run", "at", "pk"]

    def __str__(self) -> str:
        return self.text
