from __future__ import annotations

from django.urls import path

from fabric import views

app_name = "fabric"

urlpatterns = [
    path("hosts/", views.hosts, name="hosts"),
]
