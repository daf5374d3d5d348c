"""Subscriptions: who may see and spend what."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from portal.validators import validate_visible_name


class Subscription(models.Model):
    """A billing and quota boundary; every object a person manages belongs to one."""

    name = models.CharField(max_length=100, validators=[validate_visible_name])
    subscription_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="subscriptions", blank=True)
    core_quota = models.PositiveIntegerField(default=20, help_text="Cores all virtual machines may use together.")
    cloud_service_quota = models.PositiveIntegerField(default=20)
    storage_account_quota = models.PositiveIntegerField(default=20)
    # What the subscription uses now, kept by every write that changes it (in the same transaction), so that quota
    # checks read one row instead of counting. `manage.py check_usage` recounts them and reports any drift.
    cores_in_use = models.PositiveIntegerField(default=0, editable=False)
    virtual_machines_in_use = models.PositiveIntegerField(default=0, editable=False)
    cloud_services_in_use = models.PositiveIntegerField(default=0, editable=False)
    storage_accounts_in_use = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    operations_version = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text="Moves on whenever an operation of the subscription starts, ends or changes.",
    )

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class PeriodicRun(models.Model):
    """When one periodic job of the worker's schedule runs next, shared by every worker process."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WizardDraft(models.Model):
    """One run of a wizard: what its pages hold so far, encrypted, for the person who started it.

    Each run has a row of its own, named by a random id that travels in the run's addresses, so two runs of one
    person (two tabs, or a new run opened while the last one finishes) never share or overwrite each other's state.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="wizard_drafts")
    wizard = models.CharField(max_length=100, help_text="Which wizard (and for what) the run belongs to.")
    payload = models.TextField(blank=True, help_text="The pages' entries, encrypted (portal.wizard_storage).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.wizard} {self.pk}"
