"""Reads for the shell: which subscriptions a person may see and who administers them, a person's wizard drafts."""

from __future__ import annotations

import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from portal.models import Subscription, WizardDraft


def subscriptions_for(user: AbstractBaseUser) -> QuerySet[Subscription]:
    """Return the subscriptions a user belongs to."""
    if not user.is_authenticated:
        return Subscription.objects.none()
    return Subscription.objects.filter(members=user).order_by("name", "pk")


def with_administrators(subscriptions: QuerySet[Subscription]) -> QuerySet[Subscription]:
    """Give each subscription its members (every member administers it) as `administrators`, earliest account first,
    and order them by name."""
    members = get_user_model().objects.order_by("pk")
    return subscriptions.prefetch_related(Prefetch("members", queryset=members, to_attr="administrators")).order_by(
        "name", "pk"
    )


def subscriptions_with_administrators(user: AbstractBaseUser) -> QuerySet[Subscription]:
    """Return the user's subscriptions, each with its members (every member administers it) as `administrators`."""
    return with_administrators(subscriptions_for(user))


def wizard_draft_for(*, user: AbstractBaseUser, wizard: str, draft_id: str) -> WizardDraft | None:
    """Return the person's unexpired draft of that wizard with that id, or None (unknown, expired, someone else's)."""
    if not user.is_authenticated:
        return None
    try:
        draft_id = uuid.UUID(draft_id)
    except (TypeError, ValueError, AttributeError):
        return None
    return WizardDraft.objects.filter(pk=draft_id, owner=user, wizard=wizard, expires_at__gt=timezone.now()).first()
