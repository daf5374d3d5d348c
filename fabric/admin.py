"""Staff manage racks and hosts here; placements and leases are the fabric's own records, shown read-only."""

from __future__ import annotations

from django.contrib import admin

from fabric.models import Host, HostLease, ImageSource, Placement, Rack


class HostInline(admin.TabularInline):
    model = Host
    extra = 0
    fields = ("name", "uri", "domain_type", "cores", "memory_mb", "state", "subnet")


@admin.register(Rack)
class RackAdmin(admin.ModelAdmin):
    list_display = ("name", "region")
    list_filter = ("region",)
    search_fields = ("name",)
    inlines = [HostInline]


@admin.register(Host)
class HostAdmin(admin.ModelAdmin):
    list_display = ("name", "rack", "state", "uri", "domain_type", "cores", "memory_mb", "last_seen")
    list_filter = ("state", "rack__region", "rack")
    search_fields = ("name", "uri")
    readonly_fields = ("last_seen",)


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = ("virtual_machine", "host", "domain_name", "address", "observed_state", "observed_at")
    list_filter = ("host__rack__region", "host")
    search_fields = ("virtual_machine__name", "domain_name", "address")
    list_select_related = ("virtual_machine", "host")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(HostLease)
class HostLeaseAdmin(admin.ModelAdmin):
    list_display = ("host", "worker_id", "heartbeat_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ImageSource)
class ImageSourceAdmin(admin.ModelAdmin):
    list_display = ("image_version", "volume", "kernel", "initrd")
    search_fields = ("image_version__image__name", "volume", "kernel")
