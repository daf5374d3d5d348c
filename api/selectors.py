"""Reads of the API's own records, and the rows its hot lists show as plain values."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from api.models import ApiToken
from portal.models import Subscription
from vms.models import VirtualMachine

# The columns of a VM as the API's list shows it (api.v1.representations.virtual_machine_row_out), id first.
VIRTUAL_MACHINE_COLUMNS = (
    "id",
    "name",
    "status",
    "cloud_service_id",
    "cloud_service__name",
    "cloud_service__region__name",
    "size__name",
    "image_version__image_id",
    "image_version__image__name",
    "image_version_id",
    "image_version__image__os_family",
    "storage_account_id",
    "storage_account__name",
    "subnet_id",
    "subnet__name",
    "membership__availability_set_id",
    "membership__availability_set__name",
    "membership__fault_domain",
    "membership__update_domain",
    "admin_username",
    "created_at",
)


def api_tokens_for(user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """Return a person's tokens, newest first, with the subscription each acts in."""
    return ApiToken.objects.filter(user=user).select_related("subscription").order_by("-created_at", "-pk")


def virtual_machine_keys_for(subscription: Subscription) -> QuerySet[VirtualMachine]:
    """Return the subscription's VMs with no join: the API's pages choose their primary keys from it."""
    return VirtualMachine.objects.filter(subscription=subscription)


def virtual_machine_rows(keys: QuerySet) -> QuerySet[tuple]:
    """Return the VMs whose primary keys `keys` selects as tuples of VIRTUAL_MACHINE_COLUMNS, in primary-key order."""
    return VirtualMachine.objects.filter(pk__in=keys).order_by("pk").values_list(*VIRTUAL_MACHINE_COLUMNS)
