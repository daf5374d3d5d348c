"""Reads for the shell: which subscriptions a person may see, a person's wizard drafts."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from portal.models import Subscription, WizardDraft


def subscriptions_for(user: AbstractBaseUser) -> QuerySet[Subscription]:
    """Return the subscriptions a user belongs to."""
    if not user.is_authenticated:
        return Subscription.objects.none()
    return Subscription.objects.filter(members=user).order_by("name", "pk")


def wizard_draft_for(*, user: AbstractBaseUser, wizard: str, draft_id: str) -> WizardDraft | None:
    """Return the person's unexpired draft of that wizard with that id, or None (unknown, expired, someone else's)."""
    if not user.is_authenticated:
        return None
    try:
        draft_id = uuid.UUID(draft_id)
    except (TypeError, ValueError, AttributeError):
        return None
    return WizardDraft.objects.filter(pk=draft_id, owner=user, wizard=wizard, expires_at__gt=timezone.now()).first()
