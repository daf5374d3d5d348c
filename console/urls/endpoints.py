from __future__ import annotations

from django.urls import path

from console.views import endpoints as views

app_name = "endpoints"

urlpatterns = [
    path("virtual-machines/<int:pk>/endpoints/", views.machine_endpoints, name="machine"),
    path("virtual-machines/<int:pk>/endpoints/add/", views.add_wizard, name="add"),
    path("virtual-machines/<int:pk>/endpoints/add/<str:step>/", views.add_wizard, name="add-step"),
    path("virtual-machines/<int:pk>/endpoints/edit/", views.endpoint_edit, name="edit"),
    path("virtual-machines/<int:pk>/endpoints/delete/", views.endpoint_remove, name="delete"),
    path("cloud-services/<int:pk>/", views.cloud_service_detail, name="cloud-service"),
    path("cloud-services/<int:pk>/sets/<int:set_pk>/probe/", views.load_balanced_set_probe, name="set-probe"),
]
