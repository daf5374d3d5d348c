"""Staff configure a region's load balancer here; the addresses given to cloud services are shown read-only."""

from __future__ import annotations

from django.contrib import admin

from balancer.models import LoadBalancer, PublicAddress


@admin.register(LoadBalancer)
class LoadBalancerAdmin(admin.ModelAdmin):
    list_display = ("region", "enabled", "public_addresses", "applied_at", "refused_at")
    list_filter = ("enabled",)
    readonly_fields = ("applied_hash", "applied_at", "refused_hash", "refusal", "refused_at")
    fieldsets = (
        (None, {"fields": ("region", "enabled", "public_addresses")}),
        ("HAProxy", {"fields": ("binary", "config_path", "runtime_socket", "master_socket")}),
        ("Last change", {"fields": ("applied_at", "applied_hash", "refused_at", "refused_hash", "refusal")}),
    )


@admin.register(PublicAddress)
class PublicAddressAdmin(admin.ModelAdmin):
    list_display = ("address", "cloud_service", "load_balancer")
    list_filter = ("load_balancer",)
    search_fields = ("cloud_service__name", "address")
    list_select_related = ("cloud_service", "load_balancer__region")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
