"""Reads of the API's own records, and the rows its hot lists show as plain values."""

from __future__ import annotations

from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet, Subquery

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


class AmongKeys(Func):
    """A primary key among the keys a subquery selects, as PostgreSQL's = ANY(ARRAY(...)).

    PostgreSQL keeps the written join order of a query with this many joins and applies an IN subquery last, after
    joining every row of the filter; ANY(ARRAY(...)) runs the subquery once first, and the primary key's index
    finds its rows.
    """

    output_field = BooleanField()
    template = "%(expressions)s)"
    arg_joiner = " = ANY(ARRAY"

    def __init__(self, keys: QuerySet) -> None:
        super().__init__(F("pk"), Subquery(keys))


def virtual_machine_keys_for(subscription: Subscription) -> QuerySet[VirtualMachine]:
    """Return the subscription's VMs with no join: the API's pages choose their primary keys from it."""
    return VirtualMachine.objects.filter(subscription=subscription)


def virtual_machine_rows(keys: QuerySet) -> QuerySet[tuple]:
    """Return the VMs whose primary keys `keys` selects as tuples of VIRTUAL_MACHINE_COLUMNS, in primary-key order."""
    # SQLite plans pk IN (subquery) well: it looks the keys up by rowid (a boolean expression there, it does not).
    among = AmongKeys(keys) if connections[keys.db].vendor == "postgresql" else Q(pk__in=keys)
    return VirtualMachine.objects.filter(among).order_by("pk").values_list(*VIRTUAL_MACHINE_COLUMNS)
