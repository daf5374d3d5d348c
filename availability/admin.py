"""Staff pages for availability sets and memberships, and the sets shown on a cloud service's page."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Prefetch, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from availability.models import MAX_FAULT_DOMAINS, MAX_UPDATE_DOMAINS, AvailabilitySet, FaultDomainRack, Membership
from availability.selectors import (
    availability_set_health,
    availability_set_members,
    availability_set_rebalance_moves,
)
from availability.services import availability_set_name_check
from portal.admin import ValidatedModelForm
from vms import admin as vms_admin
from vms.models import CloudService, VirtualMachine


class AvailabilitySetForm(ValidatedModelForm):
    """Keep the domain counts within the platform's range and above every slot a member already holds."""

    fault_domain_count = forms.IntegerField(label="Fault domains", min_value=1, max_value=MAX_FAULT_DOMAINS, initial=2)
    update_domain_count = forms.IntegerField(
        label="Update domains", min_value=1, max_value=MAX_UPDATE_DOMAINS, initial=5
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        service = cleaned.get("cloud_service") or getattr(self.instance, "cloud_service", None)
        name = cleaned.get("name")
        if service is not None and name:
            try:
                availability_set_name_check(cloud_service=service, name=name, excluding=self.instance)
            except ValidationError as error:
                self.add_error("name", error)
        if self.instance.pk is None:
            return cleaned
        used = self.instance.memberships.aggregate(fault=Max("fault_domain"), update=Max("update_domain"))
        for field, highest, noun in (
            ("fault_domain_count", used["fault"], "fault domain"),
            ("update_domain_count", used["update"], "update domain"),
        ):
            count = cleaned.get(field)
            if highest is not None and count is not None and count <= highest:
                self.add_error(
                    field,
                    ValidationError(
                        "A member is in %(noun)s %(highest)s, so the set needs at least %(needed)s.",
                        code="domain_in_use",
                        params={"noun": noun, "highest": highest, "needed": highest + 1},
                    ),
                )
        return cleaned


class SetNamesFormSet(BaseInlineFormSet):
    """Refuse two sets whose names differ only in case, which the database would refuse on save."""

    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            name = form.cleaned_data.get("name") if hasattr(form, "cleaned_data") else None
            if not name or form.cleaned_data.get("DELETE"):
                continue
            if name.lower() in seen:
                form.add_error("name", ValidationError("Another set here has this name.", code="duplicate_name"))
            seen.add(name.lower())


class AvailabilitySetInline(admin.TabularInline):
    model = AvailabilitySet
    form = AvailabilitySetForm
    formset = SetNamesFormSet
    fields = ["name", "fault_domain_count", "update_domain_count"]
    extra = 0
    show_change_link = True


@admin.register(CloudService)
class CloudServiceAdmin(vms_admin.CloudServiceAdmin):
    """The one registration of cloud services: the VMs and the availability sets of each."""

    inlines = [*vms_admin.CloudServiceAdmin.inlines, AvailabilitySetInline]


class MembershipInline(admin.TabularInline):
    """A set's members; only VMs of the set's own cloud service can be chosen."""

    model = Membership
    form = ValidatedModelForm
    fields = ["virtual_machine", "fault_domain", "update_domain", "joined_at"]
    readonly_fields = ["joined_at"]
    extra = 0

    def get_formset(self, request: HttpRequest, obj: AvailabilitySet | None = None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.base_fields["virtual_machine"].queryset = VirtualMachine.objects.filter(
            cloud_service_id=obj.cloud_service_id
        ).select_related("cloud_service")
        return formset


@admin.register(AvailabilitySet)
class AvailabilitySetAdmin(admin.ModelAdmin):
    form = AvailabilitySetForm
    list_display = [
        "name",
        "cloud_service",
        "subscription_name",
        "member_count",
        "in_balance",
        "fault_domain_count",
        "update_domain_count",
    ]
    list_filter = ["cloud_service__subscription", "cloud_service__region"]
    search_fields = ["name", "cloud_service__name"]
    list_select_related = ["cloud_service__subscription"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AvailabilitySet]:
        slots = Membership.objects.only("availability_set_id", "fault_domain", "update_domain")
        return (
            super()
            .get_queryset(request)
            .annotate(member_count=Count("memberships"))
            .prefetch_related(Prefetch("memberships", queryset=slots, to_attr="member_slots"))
        )

    def get_readonly_fields(self, request: HttpRequest, obj: AvailabilitySet | None = None) -> list[str]:
        # Members must stay in the set's cloud service, so the set cannot move to another.
        return ["cloud_service", "created_at", "balance"] if obj else ["created_at"]

    @admin.display(description="In balance", boolean=True)
    def in_balance(self, availability_set: AvailabilitySet) -> bool:
        return availability_set_health(availability_set, availability_set.member_slots).balanced

    @admin.display(description="Balance")
    def balance(self, availability_set: AvailabilitySet) -> str:
        """Say whether the spread is kept, and if not, the moves the set page's Rebalance would make."""
        moves = availability_set_rebalance_moves(availability_set, availability_set_members(availability_set))
        if not moves:
            return "In balance: no fault or update domain holds two more members than another."
        steps = "; ".join(
            f"{move.virtual_machine.name} from FD {move.source.fault_domain}/UD {move.source.update_domain} "
            f"to FD {move.target.fault_domain}/UD {move.target.update_domain}"
            for move in moves
        )
        return f"Out of balance. Rebalance (on the set's page) would move {steps}."

    def get_inlines(self, request: HttpRequest, obj: AvailabilitySet | None) -> list:
        # Members are chosen among the cloud service's VMs, which are known only once the set exists.
        return [MembershipInline] if obj else []

    @admin.display(description="Subscription", ordering="cloud_service__subscription__name")
    def subscription_name(self, availability_set: AvailabilitySet) -> str:
        return availability_set.cloud_service.subscription.name

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, availability_set: AvailabilitySet) -> int:
        return availability_set.member_count


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    form = ValidatedModelForm
    list_display = [
        "virtual_machine",
        "availability_set",
        "cloud_service",
        "fault_domain",
        "update_domain",
        "joined_at",
    ]
    list_filter = ["fault_domain", "update_domain", "availability_set__cloud_service__subscription"]
    search_fields = ["virtual_machine__name", "availability_set__name", "availability_set__cloud_service__name"]
    list_select_related = ["virtual_machine", "availability_set__cloud_service"]
    autocomplete_fields = ["virtual_machine", "availability_set"]
    readonly_fields = ["joined_at"]

    @admin.display(description="Cloud service", ordering="availability_set__cloud_service__name")
    def cloud_service(self, membership: Membership) -> CloudService:
        return membership.availability_set.cloud_service


@admin.register(FaultDomainRack)
class FaultDomainRackAdmin(admin.ModelAdmin):
    """Which rack each set's fault domain is bound to: placement keeps these, so staff read them here."""

    list_display = ["availability_set", "fault_domain", "rack"]
    list_filter = ["rack__region", "rack"]
    list_select_related = ["availability_set__cloud_service", "rack__region"]
    search_fields = ["availability_set__name", "rack__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: FaultDomainRack | None = None) -> bool:
        return False
