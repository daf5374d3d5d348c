"""Writes of the API's own: creating and revoking personal tokens."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from credentials.models import ApiToken
from credentials.tokens import token_generate
from portal.models import Subscription

ERROR_MESSAGES = {
    "not_member": "You can only make a token for a subscription you belong to.",
    "expired": "Choose an expiry date in the future.",
    "not_yours": "That token is not yours.",
}


@transaction.atomic
def api_token_create(
    *, user: AbstractBaseUser, subscription: Subscription, name: str, expires_at: datetime
) -> tuple[ApiToken, str]:
    """Make a token for the user in one of their subscriptions; return it with its secret, which is not kept."""
    errors = {}
    if not subscription.members.filter(pk=user.pk).exists():
        errors["subscription"] = ValidationError(ERROR_MESSAGES["not_member"], code="not_member")
    if expires_at <= timezone.now():
        errors["expires_at"] = ValidationError(ERROR_MESSAGES["expired"], code="expired")
    if errors:
        raise ValidationError(errors)
    new = token_generate()
    token = ApiToken(
        user=user,
        subscription=subscription,
        name=name.strip(),
        prefix=new.prefix,
        secret_hash=new.secret_hash,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return token, new.raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, user: AbstractBaseUser) -> ApiToken:
    """Revoke one of the user's tokens at once; revoking it again changes nothing."""
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.user_id != user.pk:
        raise ValidationError(ERROR_MESSAGES["not_yours"], code="not_yours")
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    return locked
