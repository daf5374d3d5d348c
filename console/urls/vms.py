from __future__ import annotations

from django.urls import path

from console.views import create, lists, machine, wizard

app_name = "vms"

urlpatterns = [
    path("virtual-machines/", lists.vm_list, name="list"),
    path("virtual-machines/new/", wizard.wizard_start, name="wizard"),
    path("virtual-machines/quick-create/", create.quick_create, name="quick-create"),
    path("virtual-machines/new/dns-name/", wizard.dns_name_check, name="dns-name-check"),
    path("virtual-machines/new/cloud-services/", wizard.cloud_service_search, name="cloud-service-search"),
    path("virtual-machines/new/<str:step>/", wizard.CreateVirtualMachineWizard.as_view(), name="wizard-step"),
    path("virtual-machines/<int:pk>/", machine.dashboard, name="dashboard"),
    path("virtual-machines/<int:pk>/monitor/", machine.monitor, name="monitor"),
    path("virtual-machines/<int:pk>/configure/", machine.configure, name="configure"),
    path("virtual-machines/<int:pk>/connect/", machine.connect, name="connect"),
    path("virtual-machines/<int:pk>/commands/", machine.selection_commands, name="selection-commands"),
    path("virtual-machines/<int:pk>/<str:command>/", machine.command, name="command"),
    path("cloud-services/", lists.cloud_service_list, name="cloud-services"),
    path("cloud-services/new/", create.cloud_service_create, name="cloud-service-create"),
    path("storage/", lists.storage_list, name="storage"),
    path("storage/new/", create.storage_create, name="storage-create"),
    path("networks/", lists.network_list, name="networks"),
    path("networks/affinity-groups/new/", create.affinity_group_create, name="affinity-group-create"),
    path("networks/virtual-networks/new/", create.virtual_network_create, name="virtual-network-create"),
    path("notifications/", lists.notifications, name="notifications"),
    path("notifications/<int:pk>/dismiss/", lists.notification_dismiss, name="notification-dismiss"),
    path("activity/", lists.activity_log, name="activity"),
]
