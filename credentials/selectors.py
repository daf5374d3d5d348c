"""Reads of credentials: a person's API tokens."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from credentials.models import ApiToken


def api_tokens_for(user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """Return a person's tokens, newest first, with the subscription each acts in."""
    return ApiToken.objects.filter(user=user).select_related("subscription").order_by("-created_at", "-pk")
