"""A region's load balancer (the HAProxy it drives) and the public address each cloud service listens on there.

Every cloud service has an address of its own, as ``NAME.cloudapp.net`` had: cloud services choose their public
ports independently (the first VM of each often takes 22 or 3389), so two of them could never share one address.
Staff give the load balancer a range of addresses; the portal hands each cloud service with endpoints the lowest
free one and keeps it until the cloud service is deleted.
"""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ValidationError
from django.db import models

from vms.models import CloudService, Region


def validate_public_addresses(value: str) -> None:
    """Accept an IPv4 network in CIDR form (a single address is a /32)."""
    try:
        ipaddress.IPv4Network(value, strict=True)
    except ValueError:
        raise ValidationError("Enter an IPv4 network such as 10.254.250.0/24.", code="invalid") from None


def validate_absolute_path(value: str) -> None:
    if not value.startswith("/"):
        raise ValidationError("Enter an absolute path, starting with /.", code="relative")


class LoadBalancer(models.Model):
    """The HAProxy that carries a region's public ports: its files, its sockets and the addresses it listens on."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="load_balancer")
    enabled = models.BooleanField(
        default=True, help_text="The portal writes and reloads the configuration only while this is on."
    )
    public_addresses = models.CharField(
        max_length=18,
        validators=[validate_public_addresses],
        help_text="The addresses cloud services' public ports listen on, one per cloud service (10.254.250.0/24).",
    )
    config_path = models.CharField(
        "Configuration file",
        max_length=500,
        validators=[validate_absolute_path],
        help_text="The file HAProxy reads (-f); the portal replaces it whole.",
    )
    runtime_socket = models.CharField(
        "Runtime API socket",
        max_length=500,
        validators=[validate_absolute_path],
        help_text="The stats socket the portal writes into the configuration and reads servers' states from.",
    )
    master_socket = models.CharField(
        "Master socket",
        max_length=500,
        validators=[validate_absolute_path],
        help_text="The master CLI socket of HAProxy in master-worker mode (-W -S), which reloads it.",
    )
    binary = models.CharField(
        "HAProxy program", max_length=500, default="haproxy", help_text="Checks configurations (haproxy -c)."
    )
    applied_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the configuration applied last.")
    applied_at = models.DateTimeField(null=True, blank=True)
    refused_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the configuration refused last.")
    refusal = models.TextField(blank=True, help_text="Why the last configuration was not applied.")
    refused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["region__display_order", "region__name"]

    def __str__(self) -> str:
        return f"Load balancer of {self.region}"


class PublicAddress(models.Model):
    """The address a cloud service's public ports listen on at its region's load balancer."""

    load_balancer = models.ForeignKey(LoadBalancer, on_delete=models.CASCADE, related_name="public_addresses_given")
    cloud_service = models.OneToOneField(CloudService, on_delete=models.CASCADE, related_name="public_address")
    address = models.GenericIPAddressField(protocol="IPv4")

    class Meta:
        verbose_name_plural = "public addresses"
        ordering = ["load_balancer", "address"]
        constraints = [
            models.UniqueConstraint(
                fields=["load_balancer", "address"],
                name="public_address_unique_at_load_balancer",
                violation_error_message="Another cloud service listens on this address.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.cloud_service_id} at {self.address}"
