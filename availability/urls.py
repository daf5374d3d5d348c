from __future__ import annotations

from django.urls import path

from availability import views

app_name = "availability"

urlpatterns = [
    path("cloud-services/<int:pk>/availability-sets/", views.set_list, name="list"),
    path("availability-sets/<int:pk>/", views.set_detail, name="detail"),
    path("availability-sets/<int:pk>/delete/", views.set_delete, name="delete"),
    path("availability-sets/<int:pk>/rebalance/", views.set_rebalance, name="rebalance"),
    path("availability-sets/<int:pk>/commands/", views.set_commands, name="commands"),
]
