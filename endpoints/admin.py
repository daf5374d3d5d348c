"""Staff pages for endpoints, load-balanced sets and rotation history, validated and saved by the same services."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.forms.models import construct_instance
from django.http import HttpRequest

from endpoints.models import Endpoint, LoadBalancedSet, RotationChange
from endpoints.services import (
    endpoint_create,
    endpoint_delete,
    endpoint_update,
    load_balanced_set_delete,
    load_balanced_set_update,
)
from portal.forms import add_service_error


class _DryRun(Exception):
    """Raised to roll back a service call made only to learn whether it would be refused."""


class ServiceForm(forms.ModelForm):
    """A model form whose validation is the service's own: the call is tried and rolled back, errors kept."""

    def service_call(self, user: AbstractBaseUser | None = None) -> None:
        """Call the service with the form's values, on behalf of `user` (none for the dry run in clean)."""
        raise NotImplementedError

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            with transaction.atomic():
                self.service_call()
                raise _DryRun
        except _DryRun:
            pass
        except ValidationError as error:
            add_service_error(self, error)
        return cleaned

    def _post_clean(self) -> None:
        # Copy the values onto the instance for the admin's messages; the service has checked every rule already.
        self.instance = construct_instance(self, self.instance, self._meta.fields, self._meta.exclude)


class EndpointForm(ServiceForm):
    class Meta:
        model = Endpoint
        fields = ["virtual_machine", "name", "protocol", "public_port", "private_port", "load_balanced_set"]

    def service_call(self, user: AbstractBaseUser | None = None) -> Endpoint:
        data = self.cleaned_data
        arguments = {key: data[key] for key in ("name", "protocol", "public_port", "private_port")}
        if self.instance.pk:
            return endpoint_update(endpoint=self.instance, **arguments, user=user)
        return endpoint_create(
            vm=data["virtual_machine"], load_balanced_set=data.get("load_balanced_set"), **arguments, user=user
        )


class EndpointChangeForm(EndpointForm):
    class Meta(EndpointForm.Meta):
        fields = ["name", "protocol", "public_port", "private_port"]


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = [
        "name",
        "virtual_machine",
        "cloud_service",
        "protocol",
        "public_port",
        "private_port",
        "load_balanced_set",
        "in_rotation",
    ]
    list_filter = ["protocol", "in_rotation", "cloud_service__subscription"]
    search_fields = ["name", "virtual_machine__name", "cloud_service__name", "load_balanced_set__name"]
    list_select_related = ["virtual_machine", "cloud_service", "load_balanced_set"]
    autocomplete_fields = ["virtual_machine"]

    def get_form(self, request: HttpRequest, obj: Endpoint | None = None, **kwargs):
        kwargs["form"] = EndpointChangeForm if obj else EndpointForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Endpoint | None = None) -> list[str]:
        state = ["probe_failures", "in_rotation", "created_at"]
        return ["virtual_machine", "cloud_service", "load_balanced_set", *state] if obj else state

    def save_model(self, request: HttpRequest, obj: Endpoint, form: EndpointForm, change: bool) -> None:
        obj.pk = form.service_call(user=request.user).pk

    def delete_model(self, request: HttpRequest, obj: Endpoint) -> None:
        endpoint_delete(endpoint=obj, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        for endpoint in queryset:
            endpoint_delete(endpoint=endpoint, user=request.user)


class LoadBalancedSetForm(ServiceForm):
    class Meta:
        model = LoadBalancedSet
        fields = ["probe_protocol", "probe_port", "probe_path", "probe_interval", "probe_count"]

    def service_call(self, user: AbstractBaseUser | None = None) -> LoadBalancedSet:
        return load_balanced_set_update(load_balanced_set=self.instance, **self.cleaned_data, user=user)


class MemberInline(admin.TabularInline):
    model = Endpoint
    fields = ["virtual_machine", "name", "in_rotation", "probe_failures"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "member"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(LoadBalancedSet)
class LoadBalancedSetAdmin(admin.ModelAdmin):
    """Sets are made with their first member on a VM's Endpoints tab; here staff change a probe or delete a set."""

    form = LoadBalancedSetForm
    list_display = ["name", "cloud_service", "protocol", "public_port", "private_port", "probe_protocol"]
    list_filter = ["protocol", "probe_protocol", "cloud_service__subscription"]
    search_fields = ["name", "cloud_service__name"]
    list_select_related = ["cloud_service"]
    readonly_fields = [
        "name",
        "cloud_service",
        "protocol",
        "public_port",
        "private_port",
        "next_probe_at",
        "created_at",
    ]
    inlines = [MemberInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: LoadBalancedSet, form: LoadBalancedSetForm, change: bool) -> None:
        form.service_call(user=request.user)

    def delete_model(self, request: HttpRequest, obj: LoadBalancedSet) -> None:
        load_balanced_set_delete(load_balanced_set=obj, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[LoadBalancedSet]) -> None:
        for lb_set in queryset:
            load_balanced_set_delete(load_balanced_set=lb_set, user=request.user)


@admin.register(RotationChange)
class RotationChangeAdmin(admin.ModelAdmin):
    """The last hour of members entering and leaving rotation: history, so it cannot be edited."""

    list_display = ["at", "load_balanced_set", "endpoint", "in_rotation"]
    list_filter = ["in_rotation"]
    list_select_related = ["load_balanced_set", "endpoint"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RotationChange | None = None) -> bool:
        return False
