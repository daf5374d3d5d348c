"""Input endpoints of VMs, the load-balanced sets some of them form, and the sets' rotation history."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from endpoints.rotation import HIGHEST_PORT, LOWEST_PORT
from vms.models import CloudService, VirtualMachine

MAX_PROBE_INTERVAL = 3600
MAX_PROBE_COUNT = 100
MIN_PROBE_COUNT = 2
DEFAULT_PROBE_INTERVAL = 15
DEFAULT_PROBE_COUNT = 2


class Protocol(models.TextChoices):
    TCP = "tcp", "TCP"
    UDP = "udp", "UDP"


class ProbeProtocol(models.TextChoices):
    TCP = "tcp", "TCP"
    HTTP = "http", "HTTP"


def _port_range(field: str, name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": LOWEST_PORT, f"{field}__lte": HIGHEST_PORT}),
        name=name,
        violation_error_message="A port is a number from 1 to 65535.",
    )


class LoadBalancedSet(models.Model):
    """One public port of a cloud service spread round-robin over its members, those whose probe answers."""

    cloud_service = models.ForeignKey(CloudService, on_delete=models.CASCADE, related_name="load_balanced_sets")
    name = models.CharField("Load-Balanced Set Name", max_length=15)
    protocol = models.CharField("Protocol", max_length=3, choices=Protocol.choices)
    public_port = models.PositiveIntegerField("Public Port")
    private_port = models.PositiveIntegerField("Private Port")
    probe_protocol = models.CharField("Probe Protocol", max_length=4, choices=ProbeProtocol.choices)
    probe_port = models.PositiveIntegerField("Probe Port")
    probe_path = models.CharField("Probe Path", max_length=255, blank=True)
    probe_interval = models.PositiveIntegerField("Probe Interval", default=DEFAULT_PROBE_INTERVAL)
    probe_count = models.PositiveSmallIntegerField("Number Of Probes", default=DEFAULT_PROBE_COUNT)
    next_probe_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "cloud_service",
                Lower("name"),
                name="load_balanced_set_name_unique_in_cloud_service",
                violation_error_message="This cloud service already has a load-balanced set with that name.",
            ),
            models.UniqueConstraint(
                fields=["cloud_service", "protocol", "public_port"],
                name="load_balanced_set_public_port_unique_in_cloud_service",
                violation_error_message="This cloud service already uses that public port.",
            ),
            _port_range("public_port", "load_balanced_set_public_port_range"),
            _port_range("private_port", "load_balanced_set_private_port_range"),
            _port_range("probe_port", "load_balanced_set_probe_port_range"),
            models.CheckConstraint(
                condition=Q(probe_interval__gte=1, probe_interval__lte=MAX_PROBE_INTERVAL),
                name="load_balanced_set_probe_interval_range",
                violation_error_message="A probe interval is at most 3600 seconds.",
            ),
            models.CheckConstraint(
                condition=Q(probe_count__gte=MIN_PROBE_COUNT, probe_count__lte=MAX_PROBE_COUNT),
                name="load_balanced_set_probe_count_range",
                violation_error_message="The number of probes is 2 to 100.",
            ),
            models.CheckConstraint(
                condition=Q(probe_protocol=ProbeProtocol.TCP, probe_path="")
                | Q(probe_protocol=ProbeProtocol.HTTP, probe_path__startswith="/"),
                name="load_balanced_set_probe_path_for_http_only",
                violation_error_message="An HTTP probe has a path starting with /; a TCP probe has none.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("endpoints:cloud-service", args=[self.cloud_service_id]) + f"#set-{self.pk}"

    @property
    def probe_display(self) -> str:
        if self.probe_protocol == ProbeProtocol.HTTP:
            probe = f"HTTP {self.probe_port} {self.probe_path}"
        else:
            probe = f"TCP {self.probe_port}"
        return f"{probe}, every {self.probe_interval} s, out after {self.probe_count} failures"


class Endpoint(models.Model):
    """An input endpoint: a public port of the cloud service's address mapped to a private port of one VM."""

    virtual_machine = models.ForeignKey(VirtualMachine, on_delete=models.CASCADE, related_name="endpoints")
    # The VM's cloud service, kept on the row so the database can hold public ports unique per cloud service.
    cloud_service = models.ForeignKey(CloudService, on_delete=models.CASCADE, related_name="endpoints")
    name = models.CharField("Name", max_length=15)
    protocol = models.CharField("Protocol", max_length=3, choices=Protocol.choices)
    public_port = models.PositiveIntegerField("Public Port")
    private_port = models.PositiveIntegerField("Private Port")
    load_balanced_set = models.ForeignKey(
        LoadBalancedSet,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="members",
        verbose_name="Load-Balanced Set",
    )
    probe_failures = models.PositiveSmallIntegerField(
        default=0, help_text="Consecutive probe failures, up to the set's number of probes."
    )
    in_rotation = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                "virtual_machine",
                Lower("name"),
                name="endpoint_name_unique_in_vm",
                violation_error_message="This virtual machine already has an endpoint with that name.",
            ),
            models.UniqueConstraint(
                fields=["virtual_machine", "protocol", "private_port"],
                name="endpoint_private_port_unique_in_vm",
                violation_error_message="This virtual machine already uses that private port.",
            ),
            models.UniqueConstraint(
                fields=["cloud_service", "protocol", "public_port"],
                condition=Q(load_balanced_set__isnull=True),
                name="endpoint_public_port_unique_in_cloud_service",
                violation_error_message="This cloud service already uses that public port.",
            ),
            models.UniqueConstraint(
                fields=["virtual_machine", "load_balanced_set"],
                name="endpoint_vm_once_per_load_balanced_set",
                violation_error_message="This virtual machine is already in that load-balanced set.",
            ),
            _port_range("public_port", "endpoint_public_port_range"),
            _port_range("private_port", "endpoint_private_port_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_protocol_display()} {self.public_port} -> {self.private_port})"

    def clean(self) -> None:
        errors = {}
        same_service = self.cloud_service_id is not None
        if same_service and self.virtual_machine_id and self.virtual_machine.cloud_service_id != self.cloud_service_id:
            errors["cloud_service"] = ValidationError(
                "An endpoint belongs to its virtual machine's cloud service.", code="other_cloud_service"
            )
        if (
            same_service
            and self.load_balanced_set_id
            and self.load_balanced_set.cloud_service_id != self.cloud_service_id
        ):
            errors["load_balanced_set"] = ValidationError(
                "Choose a load-balanced set of the virtual machine's cloud service.", code="other_cloud_service"
            )
        if errors:
            raise ValidationError(errors)


class RotationChange(models.Model):
    """A member entering or leaving rotation: the history a set's timeline is drawn from (kept for an hour)."""

    load_balanced_set = models.ForeignKey(LoadBalancedSet, on_delete=models.CASCADE, related_name="rotation_changes")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="rotation_changes")
    in_rotation = models.BooleanField()
    at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.endpoint_id} {'in' if self.in_rotation else 'out'} at {self.at:%H:%M:%S}"
