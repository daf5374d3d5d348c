from __future__ import annotations

from django.urls import path

from applications import views

app_name = "applications"

urlpatterns = [
    path("applications/", views.application_list, name="list"),
    path("applications/new/", views.application_new, name="new"),
    path("applications/<int:pk>/", views.application_detail, name="detail"),
    path("applications/<int:pk>/roles/", views.role_create, name="role-add"),
    path("applications/<int:pk>/roles/targets/", views.role_targets, name="role-targets"),
    path("applications/<int:pk>/roles/<int:role_pk>/", views.role_update, name="role-change"),
    path("applications/<int:pk>/roles/<int:role_pk>/remove/", views.role_delete, name="role-remove"),
    path("applications/<int:pk>/roles/<int:role_pk>/set/", views.role_to_set, name="role-to-set"),
    path("applications/<int:pk>/dependencies/", views.dependency_create, name="dependency-add"),
    path(
        "applications/<int:pk>/dependencies/<int:dependency_pk>/remove/",
        views.dependency_delete,
        name="dependency-remove",
    ),
    path("applications/<int:pk>/drills/", views.drill_create, name="drill-start"),
    path("applications/<int:pk>/drills/<int:drill_pk>/", views.drill_report, name="drill"),
    path("applications/<int:pk>/drills/<int:drill_pk>/stop/", views.drill_halt, name="drill-stop"),
]
