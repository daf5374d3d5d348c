"""Staff pages for applications: read their roles, dependencies and drills; stop a drill or delete an application.

Roles, dependencies and drills change only through the application page, whose services check targets, cycles and
the one-drill rule; here staff see them and act through the same services.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from applications.models import Application, Dependency, Drill, DrillEvent, Role
from applications.services import application_delete, drill_stop


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class ViewOnlyAdmin(admin.ModelAdmin):
    """Staff look; changes go through the application pages, the API or this admin's actions (the services)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class RoleInline(ReadOnlyInline):
    model = Role
    fields = ["name", "availability_set", "virtual_machine"]


class DrillEventInline(ReadOnlyInline):
    model = DrillEvent


@admin.register(Application)
class ApplicationAdmin(ViewOnlyAdmin):
    list_display = ["name", "subscription", "created_at"]
    list_select_related = ["subscription"]
    search_fields = ["name", "subscription__name"]
    inlines = [RoleInline]
    actions = ["delete_through_service"]

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description="Delete the selected applications (not while a drill runs)")
    def delete_through_service(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        for application in queryset:
            try:
                application_delete(application=application)
            except ValidationError as error:
                self.message_user(request, f"{application.name}: {' '.join(error.messages)}", level=messages.ERROR)


@admin.register(Dependency)
class DependencyAdmin(ViewOnlyAdmin):
    list_display = ["role", "depends_on"]
    list_select_related = ["role__application", "depends_on"]
    search_fields = ["role__name", "depends_on__name", "role__application__name"]


@admin.register(Drill)
class DrillAdmin(ViewOnlyAdmin):
    list_display = ["application", "kind", "status", "started_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["application"]
    search_fields = ["application__name"]
    inlines = [DrillEventInline]
    actions = ["stop"]

    @admin.action(description="Stop the selected drills")
    def stop(self, request: HttpRequest, queryset: QuerySet[Drill]) -> None:
        for drill in queryset.filter(status=Drill.Status.RUNNING):
            drill_stop(drill=drill)
