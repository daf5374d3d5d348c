"""The shell's one form: which of the person's subscriptions to make current."""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from portal.selectors import subscriptions_for


class SubscriptionSwitchForm(forms.Form):
    """Choose one of the person's own subscriptions; anything else, malformed or foreign, is not a choice."""

    subscription = forms.ModelChoiceField(queryset=None)

    def __init__(self, *args, user: AbstractBaseUser, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subscription"].queryset = subscriptions_for(user)
