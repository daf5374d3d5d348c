"""The shell's form, which subscription to make current, and how every form shows a service's refusal."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from portal.selectors import subscriptions_for


class SubscriptionSwitchForm(forms.Form):
    """Choose one of the person's own subscriptions; anything else, malformed or foreign, is not a choice."""

    subscription = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, user: AbstractBaseUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subscription"].queryset = subscriptions_for(user)


def add_service_error(form: forms.Form, error: ValidationError, *, fields: Mapping[str, str] | None = None) -> None:
    """Show a service's refusal on a form: each message beside the field it names, the rest above the form.

    `fields` renames the service's field names to the form's where the form asks for one under another name.
    """
    errors = error.error_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.error_list}
    for field, field_errors in errors.items():
        field = fields.get(field, field) if fields else field
        form.add_error(field if field in form.fields else None, field_errors)
