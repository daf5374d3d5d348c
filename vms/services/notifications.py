"""Writes for the notifications a person sees: dismissing one."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from portal.models import Subscription
from vms.models import Operation, OperationDismissal


@transaction.atomic
def notification_dismiss(*, user: AbstractBaseUser, subscription: Subscription, operation_id: int) -> None:
    """Close one notification for this person; closing it again, or one of another subscription, changes nothing."""
    operation = Operation.objects.filter(pk=operation_id, subscription=subscription).first()
    if operation is None:
        raise ValidationError("There is no such notification.", code="unknown")
    if OperationDismissal.objects.filter(user=user, operation=operation).exists():
        return
    dismissal = OperationDismissal(user=user, operation=operation)
    dismissal.full_clean()
    dismissal.save()
