from __future__ import annotations

from django.urls import path

from maintenance import views

app_name = "maintenance"

urlpatterns = [
    path("hosts/maintenance/", views.runs, name="runs"),
    path("hosts/maintenance/<int:pk>/", views.run_detail, name="run"),
    path("hosts/maintenance/<int:pk>/run/", views.run_start, name="start"),
    path("hosts/maintenance/<int:pk>/stop/", views.run_stop, name="stop"),
]
