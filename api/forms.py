"""The Settings -> API tokens form: it validates, the service writes."""

from __future__ import annotations

from django import forms

from portal.models import Subscription
from vms.list_forms import PortalForm

EXPIRY_CHOICES = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "1 year")]


class ApiTokenForm(PortalForm):
    """New API token: a name, how long it lives and the subscription it acts in."""

    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What the token is for, such as the script that uses it.",
        error_messages={"required": "Give the token a name."},
    )
    expires_in_days = forms.TypedChoiceField(label="Expires after", choices=EXPIRY_CHOICES, coerce=int, initial=90)
    subscription = forms.ModelChoiceField(
        label="Subscription",
        queryset=Subscription.objects.none(),
        empty_label=None,
        help_text="The token sees and changes only this subscription's objects.",
    )

    def __init__(self, *args, subscriptions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subscription"].queryset = subscriptions
