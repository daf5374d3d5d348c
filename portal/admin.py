"""Staff pages for subscriptions, and the form every portal admin page validates with."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from portal.models import PeriodicRun, Subscription, WizardDraft


class ValidatedModelForm(forms.ModelForm):
    """A model form that checks every constraint, including those on fields the admin shows read-only.

    Django skips a constraint when one of its fields is not on the form; here such fields keep the instance's
    value and are checked too, so a save never reaches the database's IntegrityError. Errors about fields the
    form does not show appear above the form.
    """

    def validate_constraints(self) -> None:
        exclude = {name for name in self._get_validation_exclusions() if name in self.fields}
        try:
            self.instance.validate_constraints(exclude=exclude)
        except ValidationError as error:
            self._update_errors(error)

    def _update_errors(self, errors: ValidationError) -> None:
        if hasattr(errors, "error_dict"):
            keyed: dict[str, list[ValidationError]] = {}
            for field, messages in errors.error_dict.items():
                keyed.setdefault(field if field in self.fields else NON_FIELD_ERRORS, []).extend(messages)
            errors = ValidationError(keyed)
        super()._update_errors(errors)


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = ValidatedModelForm
    list_display = ["name", "subscription_id", "member_count", "core_quota", "cloud_service_quota", "created_at"]
    search_fields = ["name", "subscription_id", "members__username"]
    filter_horizontal = ["members"]
    readonly_fields = ["subscription_id", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subscription]:
        return super().get_queryset(request).annotate(member_count=Count("members", distinct=True))

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, subscription: Subscription) -> int:
        return subscription.member_count


@admin.register(PeriodicRun)
class PeriodicRunAdmin(admin.ModelAdmin):
    """The worker's schedule: when each periodic job last ran, how it ended, and when it runs next."""

    list_display = ["name", "next_run_at", "last_started_at", "last_finished_at", "last_error"]
    search_fields = ["name"]
    readonly_fields = ["name", "last_started_at", "last_finished_at", "last_error"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WizardDraft)
class WizardDraftAdmin(admin.ModelAdmin):
    """Wizard runs under way: whose, which wizard, and when each expires; their entries stay encrypted and unshown."""

    list_display = ["wizard", "owner", "created_at", "updated_at", "expires_at"]
    list_select_related = ["owner"]
    search_fields = ["wizard", "owner__username"]
    fields = ["wizard", "owner", "created_at", "updated_at", "expires_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: WizardDraft | None = None) -> bool:
        return False
