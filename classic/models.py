"""What the classic Service Management API keeps beside the portal's own rows."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from portal.models import Subscription
from vms.models import CloudService, Operation


class ClassicRequest(models.Model):
    """One write request's outcome, as Get Operation Status reports it under its x-ms-request-id.

    A request that started portal operations follows them (InProgress until all end, Failed if one failed); one
    that finished at once (creating or deleting a cloud service, a change that changed nothing) keeps its own.
    """

    class Status(models.TextChoices):
        IN_PROGRESS = "InProgress"
        SUCCEEDED = "Succeeded"
        FAILED = "Failed"

    request_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="classic_requests")
    operations = models.ManyToManyField(Operation, blank=True, related_name="classic_requests")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUCCEEDED)
    http_status_code = models.PositiveSmallIntegerField(default=200)
    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return str(self.request_id)


class ClassicCloudService(models.Model):
    """What a script said of a cloud service that the portal's own rows do not hold: its label and description,
    and the name and label of its deployment (the cloud service's VMs)."""

    cloud_service = models.OneToOneField(CloudService, on_delete=models.CASCADE, related_name="classic")
    label = models.CharField(max_length=100, blank=True)
    description = models.CharField(max_length=1024, blank=True)
    deployment_name = models.CharField(max_length=100, blank=True)
    deployment_label = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["cloud_service"]

    def __str__(self) -> str:
        return self.label or str(self.cloud_service)


class ManagementCertificate(models.Model):
    """A subscription's management certificate: a client certificate whose holder may call the classic API.

    Only the public certificate is kept. A TLS proxy in front of the portal verifies the client's possession of the
    private key and passes the certificate's SHA-1 thumbprint on; the portal trusts that only from its proxies.
    """

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="management_certificates")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    thumbprint = models.CharField(max_length=40, help_text="SHA-1 of the certificate, in upper-case hex.")
    subject = models.CharField(max_length=400)
    not_after = models.DateTimeField("Expires")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subscription", "-created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "thumbprint"],
                name="management_certificate_unique_in_subscription",
                violation_error_message="This certificate is already a management certificate of the subscription.",
            ),
        ]

    def __str__(self) -> str:
        return self.thumbprint
