"""Staff pages for the catalog, networks, storage, cloud services, VMs and operations."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from portal.admin import ValidatedModelForm
from portal.models import Subscription
from vms.models import (
    AffinityGroup,
    CloudService,
    Image,
    ImageVersion,
    Operation,
    OperationDismissal,
    Region,
    RoleSize,
    StorageAccount,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)
from vms.services.machines import vm_name_check
from vms.services.usage import subscription_cores_check, subscription_usage_recount
from vms.validators import validate_admin_username, validate_dns_name, validate_storage_account_name


class UsageRecountingAdmin(admin.ModelAdmin):
    """Staff saves and deletes recount the subscription's usage in the same transaction, under its lock."""

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            subscription_usage_recount(subscription=Subscription(pk=obj.subscription_id))

    def delete_model(self, request: HttpRequest, obj) -> None:
        with transaction.atomic():
            super().delete_model(request, obj)
            subscription_usage_recount(subscription=Subscription(pk=obj.subscription_id))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        with transaction.atomic():
            subscription_ids = set(queryset.values_list("subscription_id", flat=True))
            super().delete_queryset(request, queryset)
            for subscription_id in sorted(subscription_ids):
                subscription_usage_recount(subscription=Subscription(pk=subscription_id))


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    form = ValidatedModelForm
    list_display = ["name", "display_order"]
    list_editable = ["display_order"]
    search_fields = ["name"]


@admin.register(AffinityGroup)
class AffinityGroupAdmin(admin.ModelAdmin):
    form = ValidatedModelForm
    list_display = ["name", "label", "region", "subscription", "created_at"]
    list_filter = ["region", "subscription"]
    search_fields = ["name", "label", "subscription__name"]
    list_select_related = ["region", "subscription"]


class SubnetInline(admin.TabularInline):
    model = Subnet
    form = ValidatedModelForm
    extra = 0


@admin.register(VirtualNetwork)
class VirtualNetworkAdmin(admin.ModelAdmin):
    form = ValidatedModelForm
    list_display = ["name", "affinity_group", "region_name", "address_space", "subscription"]
    list_filter = ["affinity_group__region", "subscription"]
    search_fields = ["name", "affinity_group__name", "subscription__name"]
    list_select_related = ["affinity_group__region", "subscription"]
    inlines = [SubnetInline]

    @admin.display(description="Region", ordering="affinity_group__region__name")
    def region_name(self, network: VirtualNetwork) -> str:
        return network.affinity_group.region.name


@admin.register(Subnet)
class SubnetAdmin(admin.ModelAdmin):
    form = ValidatedModelForm
    list_display = ["name", "address_prefix", "virtual_network"]
    list_filter = ["virtual_network__subscription"]
    search_fields = ["name", "virtual_network__name"]
    list_select_related = ["virtual_network"]


class ImageVersionInline(admin.TabularInline):
    model = ImageVersion
    form = ValidatedModelForm
    extra = 0


@admin.register(Image)
class ImageAdmin(admin.ModelAdmin):
    form = ValidatedModelForm
    list_display = ["name", "publisher", "os_family", "category", "display_order", "is_active"]
    list_filter = ["os_family", "category", "is_active", "publisher"]
    search_fields = ["name", "publisher", "description"]
    inlines = [ImageVersionInline]


@admin.register(ImageVersion)
class ImageVersionAdmin(admin.ModelAdmin):
    form = ValidatedModelForm
    list_display = ["image", "release_date", "label"]
    list_filter = ["image__os_family", "image"]
    search_fields = ["image__name", "label"]
    list_select_related = ["image"]
    date_hierarchy = "release_date"


@admin.register(RoleSize)
class RoleSizeAdmin(admin.ModelAdmin):
    form = ValidatedModelForm
    list_display = ["name", "label", "cores", "shared_core", "memory_mb", "max_data_disks", "display_order"]
    list_filter = ["shared_core", "cores"]
    search_fields = ["name", "label"]


class StorageAccountForm(ValidatedModelForm):
    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        validate_storage_account_name(name)
        return name


@admin.register(StorageAccount)
class StorageAccountAdmin(UsageRecountingAdmin):
    form = StorageAccountForm
    list_display = ["name", "region", "automatically_generated", "subscription", "created_at"]
    list_filter = ["automatically_generated", "region", "subscription"]
    search_fields = ["name", "subscription__name"]
    list_select_related = ["region", "subscription"]

    def get_readonly_fields(self, request: HttpRequest, obj: StorageAccount | None = None) -> list[str]:
        # The VMs on an account rely on its subscription and region.
        return ["subscription", "region", "created_at"] if obj else ["created_at"]


class VirtualMachineInline(admin.TabularInline):
    model = VirtualMachine
    fields = ["name", "status", "size", "created_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: CloudService | None = None) -> bool:
        return False


class CloudServiceForm(ValidatedModelForm):
    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        validate_dns_name(name)
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        region, group, network = (cleaned.get(name) for name in ("region", "affinity_group", "virtual_network"))
        if network and group and network.affinity_group_id != group.pk:
            self.add_error("virtual_network", "Choose a virtual network of the chosen affinity group.")
        if group and region and group.region_id != region.pk:
            self.add_error(
                "region",
                ValidationError(
                    "Choose the affinity group's region, %(region)s.", code="region", params={"region": group.region}
                ),
            )
        return cleaned


class CloudServiceAdmin(UsageRecountingAdmin):
    """A cloud service and its VMs; availability/admin.py registers it with its sets beside them."""

    form = CloudServiceForm
    list_display = ["name", "region", "affinity_group", "virtual_network", "subscription", "created_at"]
    list_filter = ["region", "subscription"]
    search_fields = ["name", "subscription__name"]
    list_select_related = ["region", "affinity_group", "virtual_network", "subscription"]
    inlines = [VirtualMachineInline]

    def get_readonly_fields(self, request: HttpRequest, obj: CloudService | None = None) -> list[str]:
        # Its VMs, storage and sets were placed by its subscription and location.
        if obj:
            return ["subscription", "region", "affinity_group", "virtual_network", "created_at"]
        return ["created_at"]


class VirtualMachineForm(ValidatedModelForm):
    """Check an edited VM the way the wizard and Configure do: name, user name, size quota, storage and subnet."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        service = self.instance.cloud_service
        self.fields["storage_account"].queryset = StorageAccount.objects.filter(
            subscription_id=service.subscription_id, region_id=service.region_id
        )
        self.fields["subnet"].queryset = Subnet.objects.filter(virtual_network_id=service.virtual_network_id)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        vm_name_check(
            cloud_service=self.instance.cloud_service,
            name=name,
            os_family=self.instance.os_family,
            excluding=self.instance,
        )
        return name

    def clean_admin_username(self) -> str:
        username = self.cleaned_data["admin_username"]
        validate_admin_username(username, self.instance.os_family)
        return username

    def clean_size(self):
        size = self.cleaned_data["size"]
        if size.pk != self.instance.size_id:
            try:
                subscription_cores_check(subscription=self.instance.subscription, size=size, excluding=self.instance)
            except ValidationError as error:
                raise ValidationError(error.message_dict["size"]) from error
        return size


@admin.register(VirtualMachine)
class VirtualMachineAdmin(UsageRecountingAdmin):
    """VMs are created by the New wizard; staff may correct one here, but never see or set its password."""

    form = VirtualMachineForm
    list_display = ["name", "cloud_service", "subscription_name", "size", "status", "created_at"]
    list_filter = ["status", "probe_fails", "size", "cloud_service__region", "cloud_service__subscription"]
    search_fields = ["name", "cloud_service__name", "admin_username"]
    list_select_related = ["cloud_service__subscription", "size"]
    fields = [
        "name",
        "cloud_service",
        "status",
        "probe_fails",
        "image_version",
        "size",
        "storage_account",
        "subnet",
        "admin_username",
        "password_hash",
        "ssh_certificate_thumbprint",
        "ssh_public_key",
        "created_by",
        "created_at",
    ]
    readonly_fields = [
        "cloud_service",
        "status",
        "image_version",
        "password_hash",
        "ssh_certificate_thumbprint",
        "ssh_public_key",
        "created_by",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Subscription", ordering="cloud_service__subscription__name")
    def subscription_name(self, vm: VirtualMachine) -> str:
        return vm.cloud_service.subscription.name


@admin.register(OperationDismissal)
class OperationDismissalAdmin(admin.ModelAdmin):
    """Which notifications each person closed; closing one leaves the operation in the activity log."""

    list_display = ["operation", "user", "dismissed_at"]
    list_select_related = ["operation", "user"]
    search_fields = ["operation__title", "user__username"]
    raw_id_fields = ["operation", "user"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: OperationDismissal | None = None) -> bool:
        return False


@admin.register(Operation)
class OperationAdmin(admin.ModelAdmin):
    """The activity log as staff see it: what happened is history, so it cannot be edited."""

    list_display = ["title", "kind", "status", "subscription", "attempts", "started_at", "ended_at"]
    list_filter = ["status", "kind", "subscription"]
    search_fields = ["title", "target_name", "message", "subscription__name"]
    list_select_related = ["subscription"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Operation | None = None) -> bool:
        return False
