"""The classic API's settings page, beside the portal's other settings."""

from __future__ import annotations

from django.urls import path

from classic import pages

urlpatterns = [
    path("settings/management-certificates/", pages.certificate_list, name="management-certificates"),
    path(
        "settings/management-certificates/<int:pk>/delete/",
        pages.certificate_delete,
        name="management-certificate-delete",
    ),
]
