"""The classic Service Management API's routes, under CLASSIC_API_PREFIX (``sms/`` by default)."""

from __future__ import annotations

from django.urls import path, re_path

from classic import views

SERVICE = "<str:subscription_id>/services/hostedservices/<str:name>"
DEPLOYMENT = SERVICE + "/deployments/<str:deployment_name>"

app_name = "classic"
urlpatterns = [
    path("subscriptions", views.subscription_list, name="subscriptions"),
    path("<str:subscription_id>", views.subscription_get, name="subscription"),
    path("<str:subscription_id>/services/hostedservices", views.hosted_services, name="hosted_services"),
    path(
        "<str:subscription_id>/services/hostedservices/operations/isavailable/<str:name>",
        views.hosted_service_name_available,
        name="hosted_service_name_available",
    ),
    path(SERVICE, views.hosted_service, name="hosted_service"),
    path(SERVICE + "/deployments", views.deployments, name="deployments"),
    path(SERVICE + "/deploymentslots/<str:slot>", views.deployment_slot, name="deployment_slot"),
    path(DEPLOYMENT, views.deployment, name="deployment"),
    path(DEPLOYMENT + "/roles", views.roles, name="roles"),
    path(DEPLOYMENT + "/roles/<str:role_name>", views.role, name="role"),
    path(
        DEPLOYMENT + "/roleinstances/<str:role_name>/Operations",
        views.role_instance_operations,
        name="role_instance_operations",
    ),
    path("<str:subscription_id>/services/images", views.os_images, name="os_images"),
    path("<str:subscription_id>/rolesizes", views.role_sizes, name="role_sizes"),
    path("<str:subscription_id>/locations", views.locations, name="locations"),
    path("<str:subscription_id>/operations/<str:request_id>", views.operation_status, name="operation_status"),
    re_path(r"^(?P<rest>.*)$", views.unknown, name="unknown"),
]
