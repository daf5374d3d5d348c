"""Staff pages for what the classic API keeps: request outcomes and scripts' labels for cloud services."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from classic.models import ClassicCloudService, ClassicRequest, ManagementCertificate


@admin.register(ClassicRequest)
class ClassicRequestAdmin(admin.ModelAdmin):
    list_display = ["request_id", "subscription", "status", "http_status_code", "created_at"]
    list_filter = ["status"]
    list_select_related = ["subscription"]
    search_fields = ["request_id", "subscription__name"]
    readonly_fields = [
        "request_id",
        "subscription",
        "operations",
        "status",
        "http_status_code",
        "error_code",
        "error_message",
        "created_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ClassicCloudService)
class ClassicCloudServiceAdmin(admin.ModelAdmin):
    list_display = ["cloud_service", "label", "deployment_name", "deployment_label"]
    list_select_related = ["cloud_service"]
    search_fields = ["cloud_service__name", "label", "deployment_name"]
    readonly_fields = ["cloud_service"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ManagementCertificate)
class ManagementCertificateAdmin(admin.ModelAdmin):
    list_display = ["thumbprint", "subscription", "subject", "not_after", "uploaded_by", "created_at"]
    list_select_related = ["subscription", "uploaded_by"]
    search_fields = ["thumbprint", "subject", "subscription__name"]
    readonly_fields = ["subscription", "uploaded_by", "thumbprint", "subject", "not_after", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # added on Settings -> Management certificates, where the file is read and checked
