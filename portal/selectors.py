"""Reads for the shell: which subscriptions a person may see."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from portal.models import Subscription


def subscriptions_for(user: AbstractBaseUser) -> QuerySet[Subscription]:
    """Return the subscriptions a user belongs to."""
    if not user.is_authenticated:
        return Subscription.objects.none()
    return Subscription.objects.filter(members=user).order_by("name", "pk")
