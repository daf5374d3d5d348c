"""Writes for the shell: usage counters, task rows whose worker died, expired sign-in sessions, wizard drafts."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal.models import Subscription, WizardDraft

USAGE_FIELDS = ("cores_in_use", "virtual_machines_in_use", "cloud_services_in_use", "storage_accounts_in_use")


def subscription_usage_add(
    *,
    subscription: Subscription | None = None,
    subscription_id: int | None = None,
    cores: int = 0,
    virtual_machines: int = 0,
    cloud_services: int = 0,
    storage_accounts: int = 0,
) -> None:
    """Move a subscription's usage counters by the given amounts, in the caller's transaction.

    The update is one atomic statement on the subscription's row (it takes the row's lock until the transaction
    ends), so concurrent changes add up; a subscription passed in is moved the same way in memory.
    """
    changes = dict(
        zip(USAGE_FIELDS, (cores, virtual_machines, cloud_services, storage_accounts), strict=True),
    )
    changes = {field: amount for field, amount in changes.items() if amount}
    if not changes:
        return
    pk = subscription.pk if subscription is not None else subscription_id
    Subscription.objects.filter(pk=pk).update(**{field: F(field) + amount for field, amount in changes.items()})
    if subscription is None:
        return
    for field, amount in changes.items():
        setattr(subscription, field, getattr(subscription, field) + amount)


ABANDONED_TASK_ERROR = "portal.services.TaskAbandoned"


@transaction.atomic
def task_results_mark_abandoned(*, now: datetime | None = None) -> int:
    """Mark as failed every task row still RUNNING past OPERATION_TIMEOUT_SECONDS: its worker died under it.

    The work itself is recovered by its own sweep (an operation is retried or failed); this keeps the task table from
    showing dead work as running. Return how many rows were marked.
    """
    now = now or timezone.now()
    timeout = settings.OPERATION_TIMEOUT_SECONDS
    stale = DBTaskResult.objects.running().filter(started_at__lt=now - timedelta(seconds=timeout))
    if not stale.exists():
        return 0
    ids = list(stale.select_for_update(skip_locked=True).values_list("pk", flat=True))
    return DBTaskResult.objects.filter(pk__in=ids, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=ABANDONED_TASK_ERROR,
        traceback=(
            f"The worker running this task stopped answering: it was still running {timeout} seconds after it "
            f"started (OPERATION_TIMEOUT_SECONDS). Its work is retried or failed by the recovery sweep."
        ),
    )


def sessions_clear_expired() -> None:
    """Delete expired sign-in sessions."""
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()


def wizard_draft_start(*, owner: AbstractBaseUser, wizard: str, payload: str, lifetime: float) -> WizardDraft:
    """Begin a new run of a wizard for a person: a draft of its own, living `lifetime` seconds unless changed."""
    now = timezone.now()
    draft = WizardDraft(
        owner=owner, wizard=wizard, payload=payload, updated_at=now, expires_at=now + timedelta(seconds=lifetime)
    )
    draft.full_clean()
    draft.save(force_insert=True)
    return draft


def wizard_draft_save(*, draft_id: uuid.UUID, payload: str, lifetime: float) -> None:
    """Write a run's pages back: one UPDATE of that run's row alone, so no other run of the person is touched."""
    now = timezone.now()
    WizardDraft.objects.filter(pk=draft_id).update(
        payload=payload, updated_at=now, expires_at=now + timedelta(seconds=lifetime)
    )


def wizard_draft_delete(*, draft_id: uuid.UUID) -> None:
    """Throw a run's draft away (finished or discarded)."""
    WizardDraft.objects.filter(pk=draft_id).delete()


def wizard_drafts_prune(*, now: datetime | None = None) -> int:
    """Delete the drafts that have expired (abandoned runs, and the encrypted passwords in them); return how many."""
    deleted, _ = WizardDraft.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
