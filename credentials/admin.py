"""Staff see every API token and can revoke one; a token's secret is never shown, so none is made here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from credentials.models import ApiToken
from credentials.services import api_token_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "subscription", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["subscription"]
    list_select_related = ["user", "subscription"]
    search_fields = ["name", "prefix", "user__username"]
    fields = [*list_display, "created_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.select_related("user"):
            api_token_revoke(token=token, user=token.user)
        self.message_user(request, f"{queryset.count()} token(s) revoked.", messages.SUCCESS)
