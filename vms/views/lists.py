from __future__ import annotations


def _todo(*args, **kwargs):
    raise NotImplementedError


vm_list = cloud_service_list = storage_list = storage_create = network_list = _todo
affinity_group_create = virtual_network_create = notifications = activity_log = _todo
